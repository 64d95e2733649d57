using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>
/// Debug attach: a plugin process started by hand (<c>dotnet run</c>, <c>dotnet watch</c>, an IDE, <c>node</c>) connects
/// to the runtime instead of being launched by it, and replaces the supervised instance while it is connected. When it
/// goes away (a <c>dotnet watch</c> rebuild), the runtime waits <see cref="DebugAttachOptions.ReattachGrace"/> for it to
/// come back before it starts the supervised process again. Also: following a plugin's stderr lines.
/// </summary>
public sealed partial class PlugboardRuntime
{
    private readonly ConcurrentDictionary<string, DebugSessionState> _debugSessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pendingResumes = new(StringComparer.Ordinal);

    /// <summary>Raised when a debug session attaches to or detaches from a plugin.</summary>
    public event EventHandler<DebugSessionChangedEventArgs>? DebugSessionChanged;

    /// <summary>The plugins currently served by an attached process.</summary>
    public IReadOnlyList<DebugSessionInfo> GetDebugSessions()
        => [.. _debugSessions.Values.Select(s => s.Info).OrderBy(s => s.PluginId, StringComparer.Ordinal)];

    /// <summary>
    /// Checks that <paramref name="pluginId"/> can be attached to, before a connection is accepted. Throws a
    /// <see cref="JsonRpcException"/> with <see cref="PlugboardErrorCodes.PluginNotFound"/> for an unknown plugin and
    /// <see cref="PlugboardErrorCodes.PluginNotRunning"/> for a disabled one.
    /// </summary>
    public void EnsureCanAttach(string pluginId)
    {
        var entry = Find(pluginId);
        if (!entry.Enabled)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"Plugin {pluginId} is disabled; run `plugboard plugin enable {pluginId}` before attaching to it.", ("plugin", pluginId));
        }
    }

    /// <summary>
    /// Serves <paramref name="pluginId"/> through an externally started process connected over <paramref name="transport"/>
    /// (which this method owns): runs the <c>initialize</c> handshake, stops the supervised process, and routes the
    /// plugin's events, tools and commands to the attached process until the connection ends, the runtime stops, the
    /// plugin is restarted, disabled or uninstalled, or <paramref name="cancellationToken"/> fires. A later session for the
    /// same plugin replaces this one. No liveness pings are sent while attached, so a process paused at a breakpoint is
    /// not restarted.
    /// </summary>
    /// <returns>Why the session ended.</returns>
    /// <exception cref="JsonRpcException">The plugin is unknown or disabled, or the handshake failed (the message says why).</exception>
    public async Task<string> RunDebugSessionAsync(string pluginId, JsonRpcTransport transport, DebugAttachOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new DebugAttachOptions();
        PluginEntry entry;
        try
        {
            EnsureCanAttach(pluginId);
            entry = Find(pluginId);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var supervisor = entry.Supervisor;
        var logger = _loggerFactory.CreateLogger($"Plugboard.Plugin.{pluginId}");
        var connection = new JsonRpcConnection(transport, _rpcOptions, logger);
        RegisterRuntimeApi(supervisor, connection);
        connection.AddMethod<System.Text.Json.JsonElement, Empty>(PluginMethods.Ping, _ => Empty.Instance);
        connection.Start();

        InitializeResult handshake;
        try
        {
            handshake = await DebugHandshakeAsync(supervisor, connection, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            DebugLog.AttachRejected(_logger, pluginId, options.RemoteDescription, ex.Message);
            if (options.OnRejected is { } reject)
            {
                await reject(ex.Message).ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (_pendingResumes.TryRemove(pluginId, out var pending))
        {
            await pending.CancelAsync().ConfigureAwait(false);
            pending.Dispose();
        }

        // Swap first, then list the session: whoever sees it in GetDebugSessions can already call the attached process.
        await supervisor.AttachAsync(connection, handshake, options.ProcessId).ConfigureAwait(false);
        var info = new DebugSessionInfo(pluginId, options.RemoteDescription, DateTimeOffset.UtcNow, handshake.Plugin?.Name, handshake.Plugin?.Version, options.ProcessId);
        var state = new DebugSessionState(info, connection);
        _debugSessions.AddOrUpdate(pluginId, state, (_, previous) => state);
        DebugLog.Attached(_logger, pluginId, options.RemoteDescription);
        DebugSessionChanged?.Invoke(this, new DebugSessionChangedEventArgs(info, attached: true, null));

        string reason;
        try
        {
            var ended = await connection.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            reason = $"the attached process disconnected ({ended.Description})";
        }
        catch (OperationCanceledException)
        {
            reason = "the debug endpoint closed the session";
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _debugSessions.TryRemove(new KeyValuePair<string, DebugSessionState>(pluginId, state));
        var grace = options.ReattachGrace;
        if (supervisor.Detach(connection, grace > TimeSpan.Zero
            ? $"debug session ended: {reason}; waiting {grace.TotalSeconds:0.#} s for it to reattach before starting the supervised process"
            : $"debug session ended: {reason}"))
        {
            ScheduleResume(pluginId, supervisor, grace);
        }
        else
        {
            reason = "the plugin was stopped, restarted, disabled or uninstalled, or another session replaced this one";
        }

        DebugLog.Detached(_logger, pluginId, reason);
        DebugSessionChanged?.Invoke(this, new DebugSessionChangedEventArgs(info, attached: false, reason));
        return reason;
    }

    /// <summary>Calls <paramref name="onLine"/> for every stderr line the plugin writes from now on; dispose the result to stop.</summary>
    /// <exception cref="JsonRpcException"><see cref="PlugboardErrorCodes.PluginNotFound"/> for an unknown plugin.</exception>
    public IDisposable FollowPluginLogs(string pluginId, Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        var capture = Find(pluginId).Supervisor.Stderr;
        capture.LineReceived += onLine;
        return new Unsubscriber(() => capture.LineReceived -= onLine);
    }

    private async Task<InitializeResult> DebugHandshakeAsync(PluginSupervisor supervisor, JsonRpcConnection connection, CancellationToken cancellationToken)
    {
        var spec = supervisor.Spec;
        var parameters = new InitializeParams(ProtocolVersions.Supported, new PeerInfo("plugboard", RuntimeInfo.Version), spec.Id, spec.Config, spec.DataDirectory, spec.Manifest);
        InitializeResult result;
        try
        {
            result = await connection.InvokeAsync<InitializeResult>(PluginMethods.Initialize, parameters, _options.Supervisor.ReadyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"The attached process did not answer 'initialize' within {_options.Supervisor.ReadyTimeout.TotalSeconds:0.#} s.", ("plugin", spec.Id));
        }
        catch (JsonRpcConnectionLostException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"The attached process went away during the handshake ({ex.Reason}).", ("plugin", spec.Id));
        }

        if (!ProtocolVersions.Supported.Contains(result.ProtocolVersion))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ProtocolVersionMismatch, $"The attached process picked protocol version '{result.ProtocolVersion}', but the runtime speaks {string.Join(", ", ProtocolVersions.Supported)}. Update its SDK or the runtime.", ("plugin", spec.Id), ("protocolVersion", result.ProtocolVersion));
        }

        if (!string.Equals(result.PluginId, spec.Id, StringComparison.Ordinal))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ManifestMismatch, $"Attached as plugin '{spec.Id}', but the process says it is '{result.PluginId}'. Fix the plugin id in PLUGBOARD_DEBUG_URL or in plugin.json.", ("plugin", spec.Id), ("reported", result.PluginId));
        }

        await connection.NotifyAsync(PluginMethods.Initialized, Empty.Instance, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private void ScheduleResume(string pluginId, PluginSupervisor supervisor, TimeSpan grace)
    {
        var cancellation = new CancellationTokenSource();
        if (_pendingResumes.TryRemove(pluginId, out var previous))
        {
            previous.Cancel();
            previous.Dispose();
        }

        _pendingResumes[pluginId] = cancellation;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(grace, cancellation.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _pendingResumes.TryRemove(new KeyValuePair<string, CancellationTokenSource>(pluginId, cancellation));
            cancellation.Dispose();

            // Only the same, still enabled plugin of a running runtime, and only when no new session took over.
            if (_started && _plugins.TryGetValue(pluginId, out var current) && current.Supervisor == supervisor && current.Enabled && !supervisor.IsAttached)
            {
                DebugLog.Resuming(_logger, pluginId);
                supervisor.Start();
            }
        });
    }

    private sealed record DebugSessionState(DebugSessionInfo Info, JsonRpcConnection Connection);

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }

    private static partial class DebugLog
    {
        [LoggerMessage(150, LogLevel.Information, "Debug session attached to plugin {PluginId} from {Remote}; it replaces the supervised process while connected.")]
        public static partial void Attached(ILogger logger, string pluginId, string remote);

        [LoggerMessage(151, LogLevel.Information, "Debug session of plugin {PluginId} ended: {Reason}")]
        public static partial void Detached(ILogger logger, string pluginId, string reason);

        [LoggerMessage(152, LogLevel.Warning, "Refused debug session for plugin {PluginId} from {Remote}: {Reason}")]
        public static partial void AttachRejected(ILogger logger, string pluginId, string remote, string reason);

        [LoggerMessage(153, LogLevel.Information, "No debug session reattached to plugin {PluginId}; starting its supervised process again.")]
        public static partial void Resuming(ILogger logger, string pluginId);
    }
}

/// <summary>Settings of one debug session.</summary>
public sealed class DebugAttachOptions
{
    /// <summary>How long to wait for a detached process to reattach before the supervised process starts again. Default 30 s; zero resumes at once.</summary>
    public TimeSpan ReattachGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Who connected (e.g. the remote endpoint), for logs and <see cref="DebugSessionInfo"/>.</summary>
    public string RemoteDescription { get; set; } = "unknown";

    /// <summary>The attached process's id, if it said so.</summary>
    public int? ProcessId { get; set; }

    /// <summary>Called with the reason before the connection is closed when the handshake fails (e.g. to close a WebSocket with that reason).</summary>
    public Func<string, ValueTask>? OnRejected { get; set; }
}

/// <summary>A plugin served by an attached process.</summary>
/// <param name="PluginId">The plugin.</param>
/// <param name="Remote">Who connected.</param>
/// <param name="AttachedAt">Since when.</param>
/// <param name="Sdk">The SDK name the process reported in its handshake.</param>
/// <param name="SdkVersion">The SDK version it reported.</param>
/// <param name="ProcessId">Its process id, if known.</param>
public sealed record DebugSessionInfo(string PluginId, string Remote, DateTimeOffset AttachedAt, string? Sdk, string? SdkVersion, int? ProcessId);

/// <summary>A debug session attached or detached.</summary>
public sealed class DebugSessionChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public DebugSessionChangedEventArgs(DebugSessionInfo session, bool attached, string? reason)
    {
        Session = session;
        Attached = attached;
        Reason = reason;
    }

    /// <summary>The session.</summary>
    public DebugSessionInfo Session { get; }

    /// <summary>True when it attached, false when it ended.</summary>
    public bool Attached { get; }

    /// <summary>Why it ended.</summary>
    public string? Reason { get; }
}
