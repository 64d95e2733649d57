using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.Transports;
using Plugboard.Sdk.Hosting;
using Plugboard.Sdk.Logging;

namespace Plugboard.Sdk;

/// <summary>
/// A Plugboard plugin: create a builder with <see cref="CreateBuilder"/>, register listeners, tools and commands,
/// <see cref="PluginAppBuilder.Build"/>, then <see cref="RunAsync"/> and return its exit code from <c>Main</c>.
/// </summary>
/// <example>
/// <code>
/// var builder = PluginApp.CreateBuilder(args);
/// builder.AddTool&lt;EchoArgs, EchoResult&gt;("echo", "Echoes the text.", (a, _) =&gt; ValueTask.FromResult(new EchoResult(a.Text)));
/// return await builder.Build().RunAsync();
/// </code>
/// </example>
public sealed class PluginApp : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private int _started;
    private int _disposed;

    internal PluginApp(
        ServiceProvider services,
        PluginAppOptions options,
        PluginRuntimeClient runtime,
        PluginCapabilities capabilities,
        string? pluginId,
        IReadOnlyList<ListenerRegistration> listeners,
        IReadOnlyList<ToolRegistration> tools,
        IReadOnlyList<CommandRegistration> commands,
        IReadOnlyList<Func<IPluginRuntime, CancellationToken, ValueTask>> initializedCallbacks,
        ILogger logger)
    {
        _services = services;
        Options = options;
        RuntimeClient = runtime;
        Capabilities = capabilities;
        PluginId = pluginId;
        Listeners = listeners;
        Tools = tools;
        Commands = commands;
        InitializedCallbacks = initializedCallbacks;
        Logger = logger;
    }

    /// <summary>The app's services.</summary>
    public IServiceProvider Services => _services;

    /// <summary>The client for the runtime API; usable once the handshake has completed.</summary>
    public IPluginRuntime Runtime => RuntimeClient;

    /// <summary>What the plugin declares in its handshake: listeners, tools with their generated parameter schemas, and commands.</summary>
    public PluginCapabilities Capabilities { get; }

    /// <summary>The plugin id known before the handshake (options, manifest or environment), if any.</summary>
    public string? PluginId { get; }

    internal PluginAppOptions Options { get; }

    internal PluginRuntimeClient RuntimeClient { get; }

    internal ServiceProvider ServiceProvider => _services;

    internal IReadOnlyList<ListenerRegistration> Listeners { get; }

    internal IReadOnlyList<ToolRegistration> Tools { get; }

    internal IReadOnlyList<CommandRegistration> Commands { get; }

    internal IReadOnlyList<Func<IPluginRuntime, CancellationToken, ValueTask>> InitializedCallbacks { get; }

    internal ILogger Logger { get; }

    /// <summary>
    /// Creates a builder. From here on <see cref="Console.Out"/> writes to stderr, because stdout carries protocol
    /// frames only.
    /// </summary>
    /// <param name="args">The command-line arguments, available as configuration (<c>--key=value</c>).</param>
    public static PluginAppBuilder CreateBuilder(string[]? args = null)
    {
        StandardStreams.RedirectConsoleOutToError();
        return new PluginAppBuilder(args ?? []);
    }

    /// <summary>
    /// Connects to the runtime (stdio, or the debug WebSocket when <c>PLUGBOARD_DEBUG_URL</c> is set) and serves it
    /// until the runtime sends <c>exit</c>, closes the connection, or its process disappears, or the process receives
    /// SIGTERM/SIGINT, or <paramref name="cancellationToken"/> fires. Returns the process exit code: 0 after an orderly
    /// end, 1 when the connection failed (a protocol violation or a debug endpoint that cannot be reached).
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("RunAsync can be called only once per PluginApp.");
        }

        var loggers = _services.GetRequiredService<ILoggerFactory>();
        try
        {
            JsonRpcTransport transport;
            var debugUrl = Environment.GetEnvironmentVariable(PluginEnvironment.DebugUrl);
            if (!string.IsNullOrEmpty(debugUrl))
            {
                var id = PluginId ?? throw new InvalidOperationException(
                    $"{PluginEnvironment.DebugUrl} is set but the plugin id is unknown: put plugin.json next to the plugin, set {PluginEnvironment.PluginId}, or set PluginAppOptions.PluginId.");
                try
                {
                    transport = await PluginTransports.ConnectDebugAsync(debugUrl, Environment.GetEnvironmentVariable(PluginEnvironment.DebugToken), id, Options, Logger, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ArgumentException or HttpRequestException)
                {
                    Logger.DebugConnectFailed(debugUrl, ex.Message);
                    return 1;
                }
            }
            else
            {
                transport = PluginTransports.CreateStdio(Options.MaxMessageSize);
            }

            var session = new PluginSession(this, transport, loggers);
            using var lifetime = new ProcessLifetime(session.OnSignal, session.OnRuntimeProcessGone);
            session.ArmExitBackstop = lifetime.ArmExitBackstop;
            lifetime.HandleSignals();
            if (Environment.GetEnvironmentVariable(PluginEnvironment.RuntimePid) is { Length: > 0 } pidText)
            {
                if (ProcessLifetime.ParsePid(pidText) is { } pid)
                {
                    lifetime.WatchParent(pid);
                }
                else
                {
                    Logger.InvalidRuntimePid(PluginEnvironment.RuntimePid, pidText);
                }
            }

            return await session.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAny(DisposeAsync().AsTask(), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
    }

    /// <summary>Disposes the app's services (done by <see cref="RunAsync"/> when it returns).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
    }
}
