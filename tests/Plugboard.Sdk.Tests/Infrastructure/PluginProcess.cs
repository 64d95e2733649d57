using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Sdk.Tests.Infrastructure;

/// <summary>
/// A sample plugin started as a real child process with its stdio redirected, and our JSON-RPC engine on the other
/// end acting as the runtime (with <see cref="FakeRuntimeApi"/> serving the plugin's runtime calls).
/// </summary>
public sealed class PluginProcess : IAsyncDisposable
{
    /// <summary>Turns a hang into a test failure; never a performance expectation.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _stderrSignal = new(0);

    private PluginProcess(SamplePlugin plugin, Process process, JsonRpcConnection connection, FakeRuntimeApi api)
    {
        Plugin = plugin;
        Process = process;
        Connection = connection;
        Api = api;
    }

    public SamplePlugin Plugin { get; }

    public Process Process { get; }

    public JsonRpcConnection Connection { get; }

    public FakeRuntimeApi Api { get; }

    /// <summary>The plugin's answer to <c>initialize</c>, once <see cref="InitializeAsync"/> succeeded.</summary>
    public InitializeResult? Handshake { get; private set; }

    public IReadOnlyList<string> StderrLines => [.. _stderr];

    /// <summary>Starts the plugin. <paramref name="environment"/> entries override (a null value removes) inherited variables.</summary>
    public static PluginProcess Start(SamplePlugin plugin, IReadOnlyDictionary<string, string?>? environment = null, ILogger? runtimeLogger = null, int maxMessageSize = JsonRpcConnectionOptions.DefaultMaxMessageSize)
    {
        var info = new ProcessStartInfo(plugin.FileName)
        {
            WorkingDirectory = plugin.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in plugin.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove(PluginEnvironment.DebugUrl);
        info.Environment.Remove(PluginEnvironment.DebugToken);
        info.Environment.Remove("SAMPLE_MODE");
        info.Environment[PluginEnvironment.PluginId] = plugin.PluginId;
        info.Environment[PluginEnvironment.RuntimePid] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment[PluginEnvironment.ProtocolVersions] = string.Join(',', ProtocolVersions.Supported);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {plugin.FileName}.");
        var transport = new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, maxMessageSize);
        var connection = new JsonRpcConnection(transport, new JsonRpcConnectionOptions { MaxMessageSize = maxMessageSize }, runtimeLogger);
        var api = new FakeRuntimeApi();
        api.Register(connection);
        var result = new PluginProcess(plugin, process, connection, api);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                result._stderr.Enqueue(e.Data);
                result._stderrSignal.Release();
            }
        };
        process.BeginErrorReadLine();
        connection.Start();
        return result;
    }

    /// <summary>Starts the plugin and completes the handshake (initialize, then initialized).</summary>
    public static async Task<PluginProcess> StartInitializedAsync(SamplePlugin plugin, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = Start(plugin, environment);
        try
        {
            await process.InitializeAsync();
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends <c>initialize</c> offering <paramref name="versions"/> (default: all we speak) and, on success, <c>initialized</c>.</summary>
    public async Task<InitializeResult> InitializeAsync(IReadOnlyList<string>? versions = null)
    {
        var parameters = new InitializeParams(
            versions ?? ProtocolVersions.Supported,
            new PeerInfo("plugboard-sdk-tests", "1.0.0"),
            Plugin.PluginId,
            JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["greeting"] = "Howdy" }),
            DataDirectory: null,
            Manifest: null);
        var result = await Connection.InvokeAsync<InitializeResult>(PluginMethods.Initialize, parameters, Generous);
        await Connection.NotifyAsync(PluginMethods.Initialized, Empty.Instance);
        Handshake = result;
        return result;
    }

    public Task<T> InvokeAsync<T>(string method, object? parameters, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<T>(method, parameters, Generous, cancellationToken);

    public Task<JsonElement> InvokeToolAsync(string tool, object arguments, ProgressToken? progressToken = null, CancellationToken cancellationToken = default)
        => InvokeAsync<JsonElement>(PluginMethods.ToolInvoke, new ToolInvokeParams(tool, JsonSerializer.SerializeToElement(arguments), progressToken), cancellationToken);

    public Task<EventDispatchResult> DispatchAsync(string listener, string eventType, object data)
        => InvokeAsync<EventDispatchResult>(PluginMethods.EventDispatch, new EventDispatchParams(listener,
            new PluginEvent(Guid.NewGuid().ToString("N"), eventType, DateTimeOffset.UtcNow, JsonSerializer.SerializeToElement(data))));

    /// <summary>Waits for the process to exit; <see langword="false"/> when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits until a stderr line matches; fails with the captured stderr when none does in time.</summary>
    public async Task<string> WaitForStderrAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Generous);
        while (true)
        {
            if (_stderr.FirstOrDefault(predicate) is { } line)
            {
                return line;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !await _stderrSignal.WaitAsync(remaining))
            {
                Assert.Fail($"No matching stderr line from {Plugin.Name}. Stderr was:\n{string.Join('\n', _stderr)}");
            }
        }
    }

    /// <summary>Closes the plugin's stdin (as a dying runtime would) without touching its stdout.</summary>
    public void CloseStdin() => Process.StandardInput.BaseStream.Close();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await Connection.DisposeAsync();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        Process.Dispose();
        _stderrSignal.Dispose();
    }
}
