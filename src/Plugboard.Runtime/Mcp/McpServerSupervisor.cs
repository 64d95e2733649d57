// Sampling and logging are deprecated from MCP 2026-07-28 (SEP-2577, MCP9005) but part of the 2025 revisions that
// servers and clients still speak; Plugboard relays them for those peers.
#pragma warning disable MCP9005

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Mcp;

/// <summary>What every hosted MCP server's supervisor shares.</summary>
/// <param name="Supervisor">Timings, backoff, crash budget and the environment allowlist (the plugin supervisor's).</param>
/// <param name="Mcp">The MCP options.</param>
/// <param name="Loggers">Logger factory.</param>
/// <param name="DataDirectory">The runtime's data folder (default working folders live under <c>mcp/</c>).</param>
/// <param name="SetTools">Replaces the tools of a registry source.</param>
/// <param name="BoxLauncher">The current launcher of stdio servers inside a Box session; it returns null while the runtime has no Box.</param>
internal sealed record McpHostContext(
    SupervisorOptions Supervisor,
    McpOptions Mcp,
    ILoggerFactory Loggers,
    string DataDirectory,
    Action<string, IEnumerable<NativeTool>> SetTools,
    Func<McpLauncher?> BoxLauncher);

/// <summary>Starts one instance of a stdio MCP server somewhere (inside a Box session) and returns how to reach it.</summary>
/// <param name="definition">The server.</param>
/// <param name="stderr">Receives the server's stderr lines.</param>
/// <param name="cancellationToken">Cancels the start.</param>
internal delegate Task<McpEndpoint> McpLauncher(McpServerDefinition definition, StderrCapture stderr, CancellationToken cancellationToken);

/// <summary>
/// Keeps one MCP server connected with the official client, like a plugin: start and MCP handshake (readiness), ping,
/// crash detection, restart with exponential backoff and jitter, a crash budget, stderr into logs and a ring buffer,
/// graceful stop (client closed, stdin closed, wait, kill the tree), and its tools in the registry, refreshed on
/// <c>notifications/tools/list_changed</c>.
/// </summary>
internal sealed class McpServerSupervisor : IAsyncDisposable
{
    private readonly McpHostContext _context;
    private readonly ILogger _logger;
    private readonly Queue<DateTimeOffset> _crashes = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private CancellationTokenSource? _runCancellation;
    private CancellationTokenSource? _instanceStop;
    private Task? _loop;
    private McpClient? _client;
    private McpProgressTransport? _transport;
    private McpEndpoint? _endpoint;
    private long _nextRequest;
    private readonly ConcurrentDictionary<long, McpCaller> _callers = new();
    private TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<string> _toolNames = [];

    public McpServerSupervisor(McpServerDefinition definition, McpServerSource source, McpHostContext context)
    {
        Definition = definition;
        Source = source;
        _context = context;
        _logger = context.Loggers.CreateLogger("Plugboard.Mcp." + definition.Name);
        Stderr = new StderrCapture(context.Supervisor.StderrLines, _logger);
    }

    /// <summary>Raised on every state transition.</summary>
    public event EventHandler<McpServerStateChangedEventArgs>? StateChanged;

    public McpServerDefinition Definition { get; }

    public McpServerSource Source { get; }

    public bool Enabled { get; set; } = true;

    public PluginState State { get; private set; } = PluginState.Stopped;

    public string? LastError { get; private set; }

    public int RestartCount { get; private set; }

    public StderrCapture Stderr { get; }

    /// <summary>The connected client, while Running.</summary>
    public McpClient? Client => State == PluginState.Running ? _client : null;

    public McpServerStatus ToStatus()
    {
        var client = _client;
        var info = client?.ServerInfo is { } server ? $"{server.Name} {server.Version}".Trim() : null;
        return new McpServerStatus(
            Definition.Name,
            Source,
            State,
            Enabled,
            _toolNames,
            State == PluginState.Running ? _endpoint?.ProcessId : null,
            RestartCount,
            LastError,
            info,
            client?.NegotiatedProtocolVersion,
            Definition.Redacted());
    }

    /// <summary>Starts supervising (idempotent while running).</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_loop is { IsCompleted: false })
            {
                return;
            }

            _crashes.Clear();
            LastError = null;
            _runCancellation = new CancellationTokenSource();
            var token = _runCancellation.Token;
            _loop = Task.Run(() => RunAsync(token));
        }

        SetState(PluginState.Starting, null);
    }

    public void MarkDisabled() => SetState(PluginState.Disabled, null);

    public Task WaitUntilRunningAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (State == PluginState.Running)
            {
                return Task.CompletedTask;
            }

            if (State is PluginState.Failed or PluginState.Disabled or PluginState.Stopped)
            {
                return Task.FromException(NotRunning());
            }

            return _running.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops the server gracefully and ends supervision; its tools leave the registry.</summary>
    public async Task StopAsync(PluginState finalState = PluginState.Stopped)
    {
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
            _runCancellation?.Cancel();
            _instanceStop?.Cancel();
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        PublishTools([]);
        if (State != PluginState.Failed || finalState == PluginState.Disabled)
        {
            SetState(finalState, null);
        }
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        Start();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Calls a tool of this server with the current client. Progress arrives in order before the result; cancellation
    /// (the caller's or the runtime's timeout) sends <c>notifications/cancelled</c> for the request.
    /// </summary>
    public async Task<JsonElement> CallToolAsync(string tool, JsonElement arguments, IProgress<JsonElement>? progress, CancellationToken cancellationToken)
    {
        McpClient client;
        McpProgressTransport transport;
        lock (_lock)
        {
            client = Client ?? throw NotRunning();
            transport = _transport!;
        }

        var parameters = new CallToolRequestParams
        {
            Name = tool,
            Arguments = arguments.ValueKind == JsonValueKind.Object ? arguments.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal) : new Dictionary<string, JsonElement>(StringComparer.Ordinal),
        };
        IDisposable? listening = null;
        if (progress is not null)
        {
            (var token, listening) = transport.Listen(progress);
            parameters.Meta = new JsonObject { ["progressToken"] = token };
        }

        var callNumber = Interlocked.Increment(ref _nextRequest);
        var requestId = new ModelContextProtocol.Protocol.RequestId("plugboard-call-" + callNumber.ToString(CultureInfo.InvariantCulture));
        if (McpCaller.Current is { } caller)
        {
            // What the server asks or logs during this call goes to the MCP client that made it.
            _callers[callNumber] = caller;
        }

        CallToolResult result;
        try
        {
            result = await client.SendRequestAsync<CallToolRequestParams, CallToolResult>(RequestMethods.ToolsCall, parameters, McpJsonUtilities.DefaultOptions, requestId, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The official client stops waiting but does not tell the server; MCP cancellation is ours to send.
            _ = SendCancelledAsync(client, requestId);
            throw;
        }
        catch (McpProtocolException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerError, $"MCP server {Definition.Name} answered '{tool}' with error {(int)ex.ErrorCode}: {ex.Message}", ("server", Definition.Name), ("tool", tool), ("mcpCode", ((int)ex.ErrorCode).ToString(CultureInfo.InvariantCulture)));
        }
        catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerNotRunning, $"MCP server {Definition.Name} went away while running '{tool}' ({ex.Message}). It is being restarted; try again, or see `plugboard mcp list`.", ("server", Definition.Name), ("tool", tool));
        }
        finally
        {
            listening?.Dispose();
            _callers.TryRemove(callNumber, out _);
        }

        return JsonSerializer.SerializeToElement(result, McpJson.CallToolResult);
    }

    private async Task SendCancelledAsync(McpClient client, ModelContextProtocol.Protocol.RequestId requestId)
    {
        try
        {
            var parameters = new CancelledNotificationParams { RequestId = requestId, Reason = "The caller cancelled the tool call (or it timed out) in Plugboard." };
            await client.SendNotificationAsync(NotificationMethods.CancelledNotification, parameters, McpJsonUtilities.DefaultOptions, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The server may be gone already; nothing left to cancel then.
            McpLog.CancelNotSent(_logger, Definition.Name, requestId.ToString(), ex.Message);
        }
    }

    public JsonRpcException NotRunning()
    {
        var detail = LastError is null ? string.Empty : $" Last error: {LastError}";
        return JsonRpcException.WithData(PlugboardErrorCodes.McpServerNotRunning, $"MCP server {Definition.Name} is {State}, not Running.{detail}", ("server", Definition.Name), ("state", State.ToString()));
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        var consecutive = 0;
        var options = _context.Supervisor;
        while (!cancellation.IsCancellationRequested)
        {
            SetState(PluginState.Starting, null);
            string reason;
            var waiting = false;
            var startedAt = DateTimeOffset.UtcNow;
            McpEndpoint? endpoint = null;
            McpClient? client = null;
            IAsyncDisposable? listChanged = null;
            try
            {
                McpProgressTransport transport;
                (endpoint, transport, client) = await LaunchAndConnectAsync(cancellation).ConfigureAwait(false);
                var connected = client;
                listChanged = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification, (_, _) =>
                {
                    _ = Task.Run(() => RefreshToolsAsync(connected, CancellationToken.None), CancellationToken.None);
                    return ValueTask.CompletedTask;
                });
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                lock (_lock)
                {
                    _client = client;
                    _transport = transport;
                    _endpoint = endpoint;
                    _instanceStop = stop;
                }

                await RefreshToolsAsync(client, cancellation, throwOnError: true).ConfigureAwait(false);
                SetState(PluginState.Running, null);
                var (end, why) = await MonitorAsync(client, endpoint, stop.Token).ConfigureAwait(false);
                if (end == InstanceEnd.StopRequested)
                {
                    await ShutdownAsync(client, endpoint, listChanged).ConfigureAwait(false);
                    listChanged = null;
                    client = null;
                    return;
                }

                if (end == InstanceEnd.Unresponsive)
                {
                    McpLog.Unresponsive(_logger, Definition.Name, (long)PingTimeout.TotalMilliseconds);
                    SetState(PluginState.Unresponsive, why);
                }
                else
                {
                    // Leave Running at once, so callers see the instance is gone (not a Running server without a client).
                    SetState(PluginState.Restarting, why);
                }

                reason = why;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (McpStartException ex) when (ex.IsPermanent)
            {
                Fail(ex.Message);
                PublishTools([]);
                return;
            }
            catch (McpStartException ex) when (!ex.CountsAsCrash)
            {
                // Where the server runs is away for now (the Box reconnecting): wait, without spending the crash budget.
                waiting = true;
                reason = ex.Message;
            }
            catch (McpStartException ex)
            {
                reason = ex.Message;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
            {
                // Whatever went wrong with this instance, supervision goes on: it counts as a crash.
                reason = $"{ex.GetType().Name}: {ex.Message}";
            }
            finally
            {
                lock (_lock)
                {
                    _instanceStop = null;
                    _client = null;
                }

                await ReleaseAsync(listChanged, client, endpoint).ConfigureAwait(false);
            }

            if (DateTimeOffset.UtcNow - startedAt > options.CrashWindow)
            {
                consecutive = 0;
            }

            if (waiting)
            {
                consecutive = Math.Min(consecutive + 1, 20);
                LastError = reason;
                SetState(PluginState.Restarting, reason);
                try
                {
                    await Task.Delay(BackoffDelay(consecutive), cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (RecordCrash())
            {
                Fail(string.Create(CultureInfo.InvariantCulture, $"{options.CrashBudget} crashes within {options.CrashWindow.TotalMinutes:0.#} min (crash budget); last: {reason}"));
                PublishTools([]);
                return;
            }

            consecutive++;
            RestartCount++;
            var delay = BackoffDelay(consecutive);
            LastError = reason;
            McpLog.Crashed(_logger, Definition.Name, reason, consecutive, (long)delay.TotalMilliseconds, FormatTail());
            SetState(PluginState.Restarting, reason);
            try
            {
                await Task.Delay(delay, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private TimeSpan PingTimeout => _context.Mcp.PingTimeout ?? _context.Supervisor.PingTimeout;

    private async Task<McpEndpoint> LaunchAsync(CancellationToken cancellation)
    {
        if (Definition.Transport == McpTransportKind.Http)
        {
            return new McpRemoteEndpoint(Definition, _context.Loggers);
        }

        if (Definition.Location == McpServerLocation.Box)
        {
            var launcher = _context.BoxLauncher() ?? throw new McpStartException(
                $"MCP server {Definition.Name} runs inside a Box session (the default location), but this runtime has no Box connected. Configure the Box, or add it with location \"host\" (`plugboard mcp add {Definition.Name} --host ...`) to run it unsandboxed on this machine.",
                isPermanent: true);
            return await launcher(Definition, Stderr, cancellation).ConfigureAwait(false);
        }

        var workingDirectory = Definition.WorkingDirectory ?? Path.Combine(_context.DataDirectory, "mcp", Definition.Name);
        return McpHostProcess.Start(Definition, workingDirectory, _context.Supervisor, Stderr, _context.Loggers);
    }

    /// <summary>
    /// Starts an instance and completes the MCP handshake. Without a pinned protocol version the official client negotiates
    /// (newest revision first, probing with <c>server/discover</c>); a server that answers that probe wrongly, or that
    /// negotiates a version the client refuses, is tried again with each initialize-handshake revision, newest first.
    /// </summary>
    private async Task<(McpEndpoint Endpoint, McpProgressTransport Transport, McpClient Client)> LaunchAndConnectAsync(CancellationToken cancellation)
    {
        string?[] versions = Definition.ProtocolVersion is { } pinned ? [pinned] : [null, .. FallbackProtocolVersions];
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = await LaunchAsync(cancellation).ConfigureAwait(false);
            var transport = new McpProgressTransport(endpoint.Transport);
            try
            {
                var client = await ConnectAsync(transport, endpoint, versions[attempt], cancellation).ConfigureAwait(false);
                return (endpoint, transport, client);
            }
            catch (McpStartException ex) when (ex.NegotiationFailed && attempt < versions.Length - 1)
            {
                McpLog.NegotiationRetry(_logger, Definition.Name, versions[attempt] ?? "negotiated", versions[attempt + 1]!, ex.Message);
                await endpoint.KillAsync().ConfigureAwait(false);
            }
            catch
            {
                await endpoint.KillAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static readonly string[] FallbackProtocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26"];

    private async Task<McpClient> ConnectAsync(IClientTransport transport, McpEndpoint endpoint, string? protocolVersion, CancellationToken cancellation)
    {
        var ready = _context.Supervisor.ReadyTimeout;
        var clientOptions = new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "plugboard", Version = RuntimeInfo.Version },
            InitializationTimeout = ready,
            ProtocolVersion = protocolVersion,
            Capabilities = new ClientCapabilities
            {
                Sampling = new SamplingCapability(),
                Elicitation = new ElicitationCapability { Form = new FormElicitationCapability() },
            },
            Handlers = new McpClientHandlers
            {
                SamplingHandler = (request, _, ct) => CallerFor("sampling/createMessage", c => c.Sample is not null).Sample!(request!, ct),
                ElicitationHandler = (request, ct) => CallerFor("elicitation/create", c => c.Elicit is not null).Elicit!(request!, ct),
            },
        };
        if (transport is McpProgressTransport ordered)
        {
            ordered.LogMessage = RelayLog;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(ready);
        var handshake = McpClient.CreateAsync(transport, clientOptions, _context.Loggers, deadline.Token);
        try
        {
            // A process that dies during the handshake fails it at once instead of after the ready timeout.
            var first = await Task.WhenAny(handshake, endpoint.Exited).ConfigureAwait(false);
            if (first != handshake)
            {
                await Task.WhenAny(handshake, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
                if (!handshake.IsCompletedSuccessfully)
                {
                    ObserveLater(handshake);
                    throw new McpStartException($"MCP server {Definition.Name} exited during the MCP handshake ({endpoint.ExitDescription}). Recent stderr:{FormatTail()}", isPermanent: false);
                }
            }

            return await handshake.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new McpStartException(string.Create(CultureInfo.InvariantCulture, $"MCP server {Definition.Name} did not complete the MCP initialize handshake within {ready.TotalSeconds:0.#} s (supervisor ReadyTimeout). A stdio server must answer newline-delimited JSON-RPC on stdout (logs go to stderr)."), isPermanent: false);
        }
        catch (Exception ex) when (ex is McpException or IOException or HttpRequestException or InvalidOperationException or JsonException)
        {
            var permanent = ex is McpProtocolException { ErrorCode: McpErrorCode.UnsupportedProtocolVersion } || (ex is HttpRequestException http && http.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound);
            var negotiation = !endpoint.Exited.IsCompleted && (ex is JsonException || (ex is McpException && ex.InnerException is null or JsonException));
            throw new McpStartException($"MCP server {Definition.Name} failed the MCP handshake: {ex.Message}{(permanent ? " Fix the definition (url, headers, protocolVersion) and enable it again." : string.Empty)}", permanent, ex) { NegotiationFailed = negotiation };
        }
    }

    /// <summary>
    /// The MCP client a server-to-client request belongs to: the caller of the calls in flight to this server, when they
    /// all come from one MCP session that can answer it. Requests during calls from plugins or the control endpoint (no MCP
    /// client to ask), or while calls from several sessions are in flight (no way to tell which one asks), are refused.
    /// </summary>
    private McpCaller CallerFor(string method, Func<McpCaller, bool> canAnswer)
    {
        var callers = _callers.Values.ToList();
        var sessions = callers.Select(c => c.Session).Distinct().Count();
        var able = callers.Where(canAnswer).ToList();
        if (sessions == 1 && able.Count > 0)
        {
            return able[^1];
        }

        var why = callers.Count == 0 ? "no MCP client is calling this server's tools right now (calls from plugins or the control endpoint cannot answer it)"
            : sessions > 1 ? "calls from several MCP clients are in flight, so it cannot tell which one is asked"
            : "the calling MCP client did not declare that capability";
        throw new McpProtocolException($"Plugboard cannot relay {method} from MCP server {Definition.Name}: {why}.", McpErrorCode.MethodNotFound);
    }

    /// <summary>A server's log message: into this server's log, and to the MCP clients whose calls are in flight.</summary>
    private void RelayLog(JsonNode? parameters)
    {
        McpLog.ServerLogMessage(_logger, Definition.Name, parameters?.ToJsonString() ?? "{}");
        foreach (var caller in _callers.Values.DistinctBy(c => c.Session))
        {
            caller.Relay(parameters);
        }
    }

    private async Task<(InstanceEnd End, string Reason)> MonitorAsync(McpClient client, McpEndpoint endpoint, CancellationToken stop)
    {
        var options = _context.Supervisor;
        while (true)
        {
            var delay = Task.Delay(options.PingInterval, stop);
            var first = await Task.WhenAny(endpoint.Exited, client.Completion, delay).ConfigureAwait(false);
            if (stop.IsCancellationRequested)
            {
                return (InstanceEnd.StopRequested, "stop requested");
            }

            if (first == endpoint.Exited)
            {
                return (InstanceEnd.Exited, $"the process exited unexpectedly ({endpoint.ExitDescription})");
            }

            if (first == client.Completion)
            {
                // A process that died closes its pipes first: give its exit a moment, to report the exit code.
                if (await Task.WhenAny(endpoint.Exited, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false) == endpoint.Exited)
                {
                    return (InstanceEnd.Exited, $"the process exited unexpectedly ({endpoint.ExitDescription})");
                }

                string why;
                try
                {
                    var details = await client.Completion.ConfigureAwait(false);
                    why = details.Exception?.Message ?? "the server closed the connection";
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    why = ex.Message;
                }

                return (InstanceEnd.ConnectionLost, $"its connection ended ({why})");
            }

            using var ping = CancellationTokenSource.CreateLinkedTokenSource(stop);
            ping.CancelAfter(PingTimeout);
            try
            {
                await client.PingAsync(cancellationToken: ping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return (InstanceEnd.StopRequested, "stop requested");
            }
            catch (OperationCanceledException)
            {
                return (InstanceEnd.Unresponsive, string.Create(CultureInfo.InvariantCulture, $"it did not answer ping within {PingTimeout.TotalMilliseconds:0} ms"));
            }
            catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The next loop sees whether the connection ended; a server that answers ping with an error still lives.
            }
        }
    }

    private async Task ShutdownAsync(McpClient client, McpEndpoint endpoint, IAsyncDisposable? listChanged)
    {
        await ReleaseAsync(listChanged, client, null).ConfigureAwait(false);
        var grace = _context.Supervisor.ShutdownTimeout;
        if (await endpoint.StopAsync(grace).ConfigureAwait(false))
        {
            McpLog.KilledOnShutdown(_logger, Definition.Name, (long)grace.TotalMilliseconds);
        }
    }

    private static async Task ReleaseAsync(IAsyncDisposable? listChanged, McpClient? client, McpEndpoint? endpoint)
    {
        try
        {
            if (listChanged is not null)
            {
                await listChanged.DisposeAsync().ConfigureAwait(false);
            }

            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The connection is gone already (a closed pipe, an aborted WebSocket relay); nothing left to release there.
        }

        if (endpoint is not null)
        {
            await endpoint.KillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Lists the tools (all pages) and replaces this server's tools in the registry.</summary>
    private async Task RefreshToolsAsync(McpClient client, CancellationToken cancellationToken, bool throwOnError = false)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IList<McpClientTool> tools;
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(_context.Supervisor.ReadyTimeout);
                tools = await client.ListToolsAsync(cancellationToken: deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (throwOnError)
                {
                    throw new McpStartException($"MCP server {Definition.Name} did not list its tools: {ex.Message}", isPermanent: false, ex);
                }

                McpLog.RefreshFailed(_logger, Definition.Name, ex.Message);
                return;
            }

            if (!ReferenceEquals(client, _client))
            {
                return; // A stale refresh of an instance that is gone.
            }

            var native = new List<NativeTool>();
            foreach (var tool in tools)
            {
                var protocolTool = tool.ProtocolTool;
                if (!McpNames.IsAllowed(protocolTool.Name, Definition.AllowedTools, Definition.DeniedTools))
                {
                    continue;
                }

                var name = protocolTool.Name;
                var schema = protocolTool.InputSchema.ValueKind == JsonValueKind.Undefined ? (JsonElement?)null : protocolTool.InputSchema.Clone();
                var descriptor = new ToolDescriptor(name, protocolTool.Description ?? protocolTool.Title, schema, protocolTool.OutputSchema?.Clone());
                native.Add(new NativeTool(McpNames.QualifiedToolName(Definition.Name, name), descriptor, (arguments, progress, ct) => CallToolAsync(name, arguments, progress, ct)));
            }

            var filtered = native.Count == tools.Count ? string.Empty : $" ({tools.Count - native.Count} left out by the allow/deny lists)";
            McpLog.ToolsListed(_logger, Definition.Name, client.ServerInfo is { } info ? $"{info.Name} {info.Version}" : "?", client.NegotiatedProtocolVersion ?? "?", native.Count, filtered);
            PublishTools(native);
        }
        finally
        {
            _refresh.Release();
        }
    }

    private void PublishTools(IReadOnlyList<NativeTool> tools)
    {
        _toolNames = [.. tools.Select(t => t.QualifiedName).Order(StringComparer.Ordinal)];
        _context.SetTools(Definition.SourceId, tools);
    }

    private bool RecordCrash()
    {
        var now = DateTimeOffset.UtcNow;
        _crashes.Enqueue(now);
        while (_crashes.Count > 0 && now - _crashes.Peek() > _context.Supervisor.CrashWindow)
        {
            _crashes.Dequeue();
        }

        return _crashes.Count >= _context.Supervisor.CrashBudget;
    }

    private TimeSpan BackoffDelay(int attempt)
    {
        var options = _context.Supervisor;
        var exponential = options.RestartBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, options.RestartMaxDelay.TotalMilliseconds);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(capped * jitter);
    }

    private void Fail(string reason)
    {
        LastError = reason;
        McpLog.Failed(_logger, Definition.Name, reason, FormatTail());
        SetState(PluginState.Failed, reason);
    }

    private string FormatTail()
    {
        var tail = Stderr.Tail(10);
        return tail.Count == 0 ? " (none)" : System.Environment.NewLine + "  " + string.Join(System.Environment.NewLine + "  ", tail);
    }

    private static void ObserveLater(Task task) => task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private void SetState(PluginState state, string? reason)
    {
        PluginState previous;
        lock (_lock)
        {
            previous = State;
            if (previous == state)
            {
                return;
            }

            State = state;
            if (state == PluginState.Running)
            {
                _running.TrySetResult();
            }
            else if (previous == PluginState.Running || _running.Task.IsCompleted)
            {
                _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (state is PluginState.Failed or PluginState.Stopped or PluginState.Disabled)
            {
                _running.TrySetException(NotRunning());
                _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        McpLog.StateChanged(_logger, Definition.Name, state, reason is null ? string.Empty : $" ({reason})");
        StateChanged?.Invoke(this, new McpServerStateChangedEventArgs(Definition.Name, previous, state, reason));
    }

}
