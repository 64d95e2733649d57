using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Tests.Supervision;

/// <summary>
/// The runtime with the sample plugins built during the test run: the C# Echo sample on the SDK, the Node sample on
/// vscode-jsonrpc and the plain-Python sample — proving plugins in any language work through the real runtime.
/// </summary>
public sealed class SamplePluginTests : IAsyncLifetime
{
    private readonly PluginFixture _fixture = new();

    public static string EchoSampleDirectory => Path.GetDirectoryName(Metadata("EchoSampleAssembly"))!;

    public static string SamplesDirectory => Path.Combine(Metadata("RepositoryRoot"), "tests", "SamplePlugins");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task CSharpSample_ThroughRuntime_ToolsStorageDispatchAndCancellation()
    {
        var runtime = await _fixture.StartRuntimeAsync(o => o.PluginDirectories.Add(EchoSampleDirectory));
        await runtime.WaitUntilRunningAsync("plugboard.samples.echo").WaitAsync(TimeSpan.FromSeconds(60));

        var echo = await runtime.InvokeToolAsync("plugboard.samples.echo/echo", PluginFixture.Json("""{"text":"hi"}"""));
        Assert.Equal("hi", echo.GetProperty("text").GetString());

        await runtime.InvokeToolAsync("remember", PluginFixture.Json("""{"key":"k","value":"stored via the runtime"}"""));
        var recall = await runtime.InvokeToolAsync("recall", PluginFixture.Json("""{"key":"k"}"""));
        Assert.Equal("stored via the runtime", recall.GetProperty("value").GetString());

        var progress = new ConcurrentQueue<JsonElement>();
        await runtime.InvokeToolAsync("progress", PluginFixture.Json("""{"count":3}"""), new SyncProgress(progress.Enqueue));
        Assert.Equal(3, progress.Count);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runtime.InvokeToolAsync("slow", PluginFixture.Json("""{"milliseconds":30000}"""), cancellationToken: cts.Token));
        await PluginFixture.WaitForAsync(
            () => runtime.InvokeToolAsync("cancelled_count", PluginFixture.Json("{}")).GetAwaiter().GetResult().GetProperty("count").GetInt32() == 1,
            "the C# plugin to observe the cancellation");

        var outcome = await runtime.DispatchEventAsync(new PluginEvent("e1", "message.received", DateTimeOffset.UtcNow, PluginFixture.Json("""{"text":"hello"}""")));
        Assert.Equal(2, outcome.Listeners.Count);
        Assert.All(outcome.Listeners, l => Assert.Equal(ListenerStatus.Handled, l.Status));
    }

    [Fact]
    public async Task CSharpSample_PostgresStorage_StoresThroughRuntimeApi()
    {
        var connectionString = Environment.GetEnvironmentVariable("PLUGBOARD_TEST_POSTGRES")
            ?? throw new InvalidOperationException("PLUGBOARD_TEST_POSTGRES is not set; run `bash scripts/test.sh`, which installs and starts PostgreSQL.");
        var schema = "rt_" + Guid.NewGuid().ToString("N")[..10];
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var storage = new PostgresStorage(dataSource, Options.Create(new PostgresStorageOptions { Schema = schema }));
        var options = new PlugboardOptions { DataDirectory = Path.Combine(_fixture.Root, "data-pg"), Storage = PlugboardStorageProvider.Postgres, PostgresConnectionString = connectionString };
        options.PluginDirectories.Add(EchoSampleDirectory);
        await using var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
        try
        {
            await runtime.StartAsync();
            await runtime.WaitUntilRunningAsync("plugboard.samples.echo").WaitAsync(TimeSpan.FromSeconds(60));

            await runtime.InvokeToolAsync("remember", PluginFixture.Json("""{"key":"pg","value":"in postgres"}"""));

            var entry = await storage.GetAsync(StorageScope.ForPlugin("plugboard.samples.echo"), "pg");
            Assert.NotNull(entry);
            Assert.Equal("\"in postgres\"", System.Text.Encoding.UTF8.GetString(entry.Value.Span));
        }
        finally
        {
            await runtime.StopAsync();
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task NodeSample_ThroughRuntime_HandshakesServesToolAndListener()
    {
        var nodeModules = Path.Combine(Metadata("RepositoryRoot"), "tests", "interop", "node", "node_modules", "vscode-jsonrpc");
        Assert.True(Directory.Exists(nodeModules), $"vscode-jsonrpc is not installed at {nodeModules}; run `bash scripts/test.sh`.");
        var runtime = await _fixture.StartRuntimeAsync(o => o.PluginDirectories.Add(Path.Combine(SamplesDirectory, "node-plugin")));
        await runtime.WaitUntilRunningAsync("plugboard.samples.node").WaitAsync(TimeSpan.FromSeconds(60));

        var echo = await runtime.InvokeToolAsync("plugboard.samples.node/echo", PluginFixture.Json("""{"text":"from node"}"""));
        var outcome = await runtime.DispatchEventAsync(new PluginEvent("e1", "message.received", DateTimeOffset.UtcNow, PluginFixture.Json("""{"text":"hello"}""")));

        Assert.Contains("from node", echo.GetRawText(), StringComparison.Ordinal);
        Assert.Single(outcome.Listeners);
        Assert.Equal(ListenerStatus.Handled, outcome.Listeners[0].Status);
    }

    [Fact]
    public async Task PythonSample_ThroughRuntime_HandshakesAndServesTool()
    {
        var runtime = await _fixture.StartRuntimeAsync(o => o.PluginDirectories.Add(Path.Combine(SamplesDirectory, "python-plugin")));
        var id = runtime.GetPlugins().Single(p => p.Directory.EndsWith("python-plugin", StringComparison.Ordinal)).Id;
        await runtime.WaitUntilRunningAsync(id).WaitAsync(TimeSpan.FromSeconds(60));

        var echo = await runtime.InvokeToolAsync($"{id}/echo", PluginFixture.Json("""{"text":"from python"}"""));

        Assert.Contains("from python", echo.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(PluginState.Running, runtime.GetPlugin(id).State);
    }

    private static string Metadata(string key)
        => typeof(SamplePluginTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    private sealed class SyncProgress(Action<JsonElement> report) : IProgress<JsonElement>
    {
        public void Report(JsonElement value) => report(value);
    }
}
