using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;
using Plugboard.Runtime.Tests.Supervision;

namespace Plugboard.Runtime.Tests.Hosting;

public sealed class AddPlugboardTests : IAsyncLifetime
{
    private readonly PluginFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task AddPlugboard_HostStartAndStop_StartsAndStopsPlugins()
    {
        _fixture.AddPythonPlugin("test.hosted");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPlugboard(o => o.DataDirectory = Path.Combine(_fixture.Root, "data")).WithPluginDirectory(_fixture.PluginsDirectory);
        using var host = builder.Build();

        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<IPlugboardRuntime>();
        await runtime.WaitUntilRunningAsync("test.hosted").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.IsType<SqliteStorage>(host.Services.GetRequiredService<IPlugboardStorage>());
        await host.StopAsync();

        Assert.Equal(PluginState.Stopped, runtime.GetPlugin("test.hosted").State);
    }

    [Fact]
    public void AddPlugboard_CalledTwice_RegistersOneRuntimeAndOneHostedService()
    {
        var services = new ServiceCollection();
        services.AddPlugboard();
        services.AddPlugboard(o => o.ToolTimeout = TimeSpan.FromSeconds(5));

        Assert.Single(services, d => d.ServiceType == typeof(IPlugboardRuntime));
        Assert.Single(services, d => d.ImplementationType?.Name == "PlugboardHostedService");
    }

    [Fact]
    public async Task AddPlugboard_InvalidOptions_HostStartFailsNamingEachSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPlugboard(o =>
        {
            o.DataDirectory = Path.Combine(_fixture.Root, "data");
            o.Storage = PlugboardStorageProvider.Postgres;
            o.ListenerTimeout = TimeSpan.Zero;
            o.Supervisor.CrashBudget = 0;
        });
        builder.Services.AddOptions<PlugboardOptions>().ValidateOnStart();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("PostgresConnectionString", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ListenerTimeout", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Supervisor:CrashBudget", StringComparison.Ordinal));
    }
}
