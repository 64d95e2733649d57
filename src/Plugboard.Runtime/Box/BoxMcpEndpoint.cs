using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Plugboard.Box.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Box;

/// <summary>
/// A stdio MCP server running inside a Box session as a managed process (session <c>mcp-&lt;name&gt;</c>), reached by
/// the official MCP client through the Box's authenticated WebSocket relay. The server's stderr tail is copied into
/// the supervisor's capture when it exits (the relay carries stdout only).
/// </summary>
internal sealed class BoxMcpEndpoint : McpEndpoint
{
    private const string ServerProcessId = "server";
    private readonly BoxClient _client;
    private readonly string _sessionId;
    private readonly ClientWebSocket _socket;
    private readonly StderrCapture _stderr;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _exitDescription = "still running";
    private int _killed;

    private BoxMcpEndpoint(BoxClient client, string sessionId, ClientWebSocket socket, StderrCapture stderr, ILoggerFactory loggers)
    {
        _client = client;
        _sessionId = sessionId;
        _socket = socket;
        _stderr = stderr;
        var stream = new EndObservingStream(WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false), () => _ = OnExitedAsync());
        Transport = new StreamClientTransport(stream, stream, loggers);
    }

    public override IClientTransport Transport { get; }

    public override Task Exited => _exited.Task;

    public override string ExitDescription => _exitDescription;

    /// <summary>The session a server's process runs in.</summary>
    public static string SessionFor(McpServerDefinition definition) => "mcp-" + definition.Name;

    /// <summary>Starts the server's process in its session and attaches to it; the launcher the MCP supervisor calls.</summary>
    public static async Task<McpEndpoint> StartAsync(BoxConnector connector, string profile, McpServerDefinition definition, StderrCapture stderr, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var client = connector.Client;
        if (client is null || connector.Status.Backend is null)
        {
            // Not permanent: the supervisor retries with backoff and succeeds once the Box is back.
            throw new McpStartException($"MCP server {definition.Name} runs inside a Box session, but the Box is not available right now ({connector.Status.Reason ?? connector.Status.State.ToString()}); retrying.", isPermanent: false) { CountsAsCrash = false };
        }

        var sessionId = SessionFor(definition);
        var spec = new BoxSessionSpec { SessionId = sessionId, Profile = profile, Env = definition.Environment.Count == 0 ? null : definition.Environment, ExtraMounts = definition.BoxMounts.Count == 0 ? null : [.. definition.BoxMounts.Select(path => new BoxMount(path, path))] };
        var parameters = new BoxProcessStartParams
        {
            SessionId = sessionId,
            ProcessId = ServerProcessId,
            Argv = [definition.Command!, .. definition.Arguments],
            Workdir = definition.WorkingDirectory is { } directory && directory.StartsWith('/') ? directory : null,
            Session = spec,
        };

        BoxProcessInfo process;
        try
        {
            // A previous instance (before a crash of the client side) may still run: replace it.
            await StopQuietlyAsync(client, sessionId).ConfigureAwait(false);
            process = await client.StartProcessAsync(parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            var permanent = ex.Code is Protocol.Contracts.PlugboardErrorCodes.BoxInvalidRequest or Protocol.Contracts.PlugboardErrorCodes.BoxProfileViolation or Protocol.Contracts.PlugboardErrorCodes.BoxMountRejected;
            throw new McpStartException($"The Box could not start MCP server {definition.Name}: {ex.Message}", permanent, ex);
        }
        catch (JsonRpcConnectionLostException ex)
        {
            throw new McpStartException($"The Box went away while starting MCP server {definition.Name}.", isPermanent: false, ex);
        }

        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + process.AttachToken);
        try
        {
            await socket.ConnectAsync(new Uri(process.AttachUrl!), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            socket.Dispose();
            await StopQuietlyAsync(client, sessionId).ConfigureAwait(false);
            throw new McpStartException($"Could not attach to MCP server {definition.Name} through the Box relay: {ex.Message}", isPermanent: false, ex);
        }

        return new BoxMcpEndpoint(client, sessionId, socket, stderr, loggers);
    }

    public override async Task<bool> StopAsync(TimeSpan grace)
    {
        // Closing the relay detaches; stopping the process sends SIGTERM to its tree, then SIGKILL.
        var killed = false;
        try
        {
            await _client.StopProcessAsync(_sessionId, ServerProcessId).WaitAsync(grace + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or JsonRpcException or JsonRpcConnectionLostException)
        {
            killed = true;
        }

        await KillAsync().ConfigureAwait(false);
        return killed;
    }

    public override async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 1)
        {
            return;
        }

        await StopQuietlyAsync(_client, _sessionId).ConfigureAwait(false);
        _socket.Abort();
        _socket.Dispose();
        await Task.WhenAny(_exited.Task, Task.Delay(2000)).ConfigureAwait(false);
        _exited.TrySetResult();
    }

    private async Task OnExitedAsync()
    {
        try
        {
            var info = await _client.GetProcessAsync(_sessionId, ServerProcessId).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            _exitDescription = info.Status == BoxProcessStatus.Exited
                ? string.Create(CultureInfo.InvariantCulture, $"exit code {info.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} (in Box session {_sessionId})")
                : "the Box relay closed";
            foreach (var line in info.StderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _stderr.Add(line);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or JsonRpcException or JsonRpcConnectionLostException)
        {
            _exitDescription = "the Box relay closed (the Box is unreachable)";
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    private static async Task StopQuietlyAsync(BoxClient client, string sessionId)
    {
        try
        {
            await client.StopProcessAsync(sessionId, ServerProcessId).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or JsonRpcException or JsonRpcConnectionLostException)
        {
            // Not running (or the Box is gone): nothing to stop.
        }
    }

    /// <summary>Passes a stream through and reports once when its read side ends (the process exited or the relay closed).</summary>
    private sealed class EndObservingStream(Stream inner, Action ended) : Stream
    {
        private int _reported;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    Report();
                }

                return read;
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException)
            {
                Report();
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                Report();
            }

            base.Dispose(disposing);
        }

        private void Report()
        {
            if (Interlocked.Exchange(ref _reported, 1) == 0)
            {
                ended();
            }
        }
    }
}
