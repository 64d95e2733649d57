using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Contracts;

/// <summary>
/// A typed client of the Box over an already started <see cref="JsonRpcConnection"/> (stdio or WebSocket).
/// Call <see cref="HelloAsync"/> first. Errors arrive as <see cref="JsonRpcException"/> with a
/// <c>PlugboardErrorCodes.Box*</c> code.
/// </summary>
public sealed class BoxClient
{
    private static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExecSlack = TimeSpan.FromSeconds(30);

    /// <summary>Wraps a connection (which the caller owns and starts).</summary>
    public BoxClient(JsonRpcConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    /// <summary>The underlying connection.</summary>
    public JsonRpcConnection Connection { get; }

    /// <summary>Authenticates with the Box token and negotiates the protocol.</summary>
    public Task<BoxHelloResult> HelloAsync(string token, string? client = null, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxHelloResult>(BoxMethods.Hello, new BoxHelloParams(token, BoxMethods.ProtocolVersion, client), ControlTimeout, cancellationToken);

    /// <summary>Liveness check.</summary>
    public Task PingAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxEmpty>(BoxMethods.Ping, new BoxEmpty(), timeout, cancellationToken);

    /// <summary>Whether the Box can run work now.</summary>
    public Task<BoxHealth> HealthAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxHealth>(BoxMethods.Health, new BoxEmpty(), ControlTimeout, cancellationToken);

    /// <summary>Backend, sessions and recent errors.</summary>
    public Task<BoxStatus> StatusAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxStatus>(BoxMethods.Status, new BoxEmpty(), ControlTimeout, cancellationToken);

    /// <summary>Every backend with its availability.</summary>
    public Task<BoxBackendInfo[]> BackendsAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxBackendInfo[]>(BoxMethods.Backends, new BoxEmpty(), ControlTimeout, cancellationToken);

    /// <summary>Asks the Box to remove everything it created and exit.</summary>
    public Task ShutdownAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxEmpty>(BoxMethods.Shutdown, new BoxEmpty(), TimeSpan.FromMinutes(2), cancellationToken);

    /// <summary>Creates a session or returns the existing compatible one.</summary>
    public Task<BoxSessionInfo> CreateSessionAsync(BoxSessionSpec spec, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxSessionInfo>(BoxMethods.SessionCreate, spec, TimeSpan.FromMinutes(5), cancellationToken);

    /// <summary>One session.</summary>
    public Task<BoxSessionInfo> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxSessionInfo>(BoxMethods.SessionGet, new BoxSessionRef(sessionId), ControlTimeout, cancellationToken);

    /// <summary>Every session.</summary>
    public Task<BoxSessionInfo[]> ListSessionsAsync(CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxSessionInfo[]>(BoxMethods.SessionList, new BoxEmpty(), ControlTimeout, cancellationToken);

    /// <summary>Deletes a session.</summary>
    public Task<BoxDeleteResult> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxDeleteResult>(BoxMethods.SessionDelete, new BoxSessionRef(sessionId), TimeSpan.FromMinutes(2), cancellationToken);

    /// <summary>
    /// Runs a command. The call's own timeout is the exec timeout plus session creation slack; the Box enforces the
    /// exec timeout itself and answers <see cref="BoxExecStatus.TimedOut"/>.
    /// </summary>
    public Task<BoxExecResult> ExecAsync(BoxExecParams parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var timeout = TimeSpan.FromSeconds(parameters.TimeoutSeconds ?? 600) + ExecSlack + TimeSpan.FromMinutes(2);
        return Connection.InvokeAsync<BoxExecResult>(BoxMethods.Exec, parameters, timeout, cancellationToken);
    }

    /// <summary>Runs a shell command line in a session.</summary>
    public Task<BoxExecResult> ExecAsync(string sessionId, string command, double? timeoutSeconds = null, CancellationToken cancellationToken = default)
        => ExecAsync(new BoxExecParams { SessionId = sessionId, Command = command, TimeoutSeconds = timeoutSeconds }, cancellationToken);

    /// <summary>Starts a managed process.</summary>
    public Task<BoxProcessInfo> StartProcessAsync(BoxProcessStartParams parameters, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxProcessInfo>(BoxMethods.ProcessStart, parameters, TimeSpan.FromMinutes(5), cancellationToken);

    /// <summary>One managed process.</summary>
    public Task<BoxProcessInfo> GetProcessAsync(string sessionId, string processId, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxProcessInfo>(BoxMethods.ProcessGet, new BoxProcessRef(sessionId, processId), ControlTimeout, cancellationToken);

    /// <summary>The managed processes of a session.</summary>
    public Task<BoxProcessInfo[]> ListProcessesAsync(string sessionId, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxProcessInfo[]>(BoxMethods.ProcessList, new BoxSessionRef(sessionId), ControlTimeout, cancellationToken);

    /// <summary>Stops a managed process and its children.</summary>
    public Task<BoxProcessInfo> StopProcessAsync(string sessionId, string processId, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxProcessInfo>(BoxMethods.ProcessStop, new BoxProcessRef(sessionId, processId), TimeSpan.FromMinutes(1), cancellationToken);

    /// <summary>Reads a file inside a session.</summary>
    public Task<BoxFileReadResult> ReadFileAsync(BoxFileReadParams parameters, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxFileReadResult>(BoxMethods.FileRead, parameters, TimeSpan.FromMinutes(2), cancellationToken);

    /// <summary>Writes a file inside a session.</summary>
    public Task<BoxFileWriteResult> WriteFileAsync(BoxFileWriteParams parameters, CancellationToken cancellationToken = default)
        => Connection.InvokeAsync<BoxFileWriteResult>(BoxMethods.FileWrite, parameters, TimeSpan.FromMinutes(2), cancellationToken);
}
