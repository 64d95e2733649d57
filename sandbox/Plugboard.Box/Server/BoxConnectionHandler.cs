using System.Reflection;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Sessions;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Server;

/// <summary>
/// Serves the Box protocol on one connection. Every method but <see cref="BoxMethods.Hello"/> and the ping is refused
/// with <c>BoxUnauthorized</c> until the client proves it holds the Box token; a wrong token is refused the same way.
/// </summary>
internal sealed class BoxConnectionHandler
{
    private static readonly string Version = typeof(BoxConnectionHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
    private readonly SessionManager _sessions;
    private readonly string _token;
    private readonly string _instanceId;
    private readonly string _transport;
    private readonly Func<Task> _shutdown;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _startedAt;
    private volatile bool _authenticated;

    public BoxConnectionHandler(SessionManager sessions, string token, string instanceId, DateTimeOffset startedAt, string transport, Func<Task> shutdown, ILogger logger)
    {
        _sessions = sessions;
        _token = token;
        _instanceId = instanceId;
        _startedAt = startedAt;
        _transport = transport;
        _shutdown = shutdown;
        _logger = logger;
    }

    public void Register(JsonRpcConnection connection)
    {
        connection.AddMethod<BoxHelloParams, BoxHelloResult>(BoxMethods.Hello, (p, _) => ValueTask.FromResult(Hello(p)));
        connection.AddMethod<BoxEmpty?, BoxEmpty>(BoxMethods.Ping, (_, _) => ValueTask.FromResult(new BoxEmpty()));
        Add<BoxEmpty?, BoxHealth>(connection, BoxMethods.Health, (_, _) => Task.FromResult(Health()));
        Add<BoxEmpty?, BoxStatus>(connection, BoxMethods.Status, (_, _) => Task.FromResult(Status()));
        Add<BoxEmpty?, BoxBackendInfo[]>(connection, BoxMethods.Backends, (_, _) => Task.FromResult(_sessions.Backends.Describe().ToArray()));
        Add<BoxEmpty?, BoxEmpty>(connection, BoxMethods.Shutdown, async (_, _) =>
        {
            await _shutdown().ConfigureAwait(false);
            return new BoxEmpty();
        });
        Add<BoxSessionSpec, BoxSessionInfo>(connection, BoxMethods.SessionCreate, async (p, ct) => (await _sessions.GetOrCreateAsync(Required(p).SessionId, p, ct).ConfigureAwait(false)).ToInfo());
        Add<BoxSessionRef, BoxSessionInfo>(connection, BoxMethods.SessionGet, (p, _) => Task.FromResult(_sessions.Get(Required(p).SessionId).ToInfo()));
        Add<BoxEmpty?, BoxSessionInfo[]>(connection, BoxMethods.SessionList, (_, _) => Task.FromResult(_sessions.List().ToArray()));
        Add<BoxSessionRef, BoxDeleteResult>(connection, BoxMethods.SessionDelete, async (p, ct) => new BoxDeleteResult(await _sessions.DeleteAsync(Required(p).SessionId, ct).ConfigureAwait(false)));
        Add<BoxExecParams, BoxExecResult>(connection, BoxMethods.Exec, (p, ct) => _sessions.ExecAsync(Required(p), ct));
        Add<BoxProcessStartParams, BoxProcessInfo>(connection, BoxMethods.ProcessStart, (p, ct) => _sessions.StartProcessAsync(Required(p), ct));
        Add<BoxProcessRef, BoxProcessInfo>(connection, BoxMethods.ProcessGet, (p, _) => Task.FromResult(_sessions.DescribeProcess(_sessions.GetProcess(Required(p).SessionId, p.ProcessId))));
        Add<BoxSessionRef, BoxProcessInfo[]>(connection, BoxMethods.ProcessList, (p, _) => Task.FromResult(_sessions.ListProcesses(Required(p).SessionId).ToArray()));
        Add<BoxProcessRef, BoxProcessInfo>(connection, BoxMethods.ProcessStop, (p, ct) => _sessions.StopProcessAsync(Required(p).SessionId, p.ProcessId, ct));
        Add<BoxFileReadParams, BoxFileReadResult>(connection, BoxMethods.FileRead, (p, ct) => _sessions.ReadFileAsync(Required(p), ct));
        Add<BoxFileWriteParams, BoxFileWriteResult>(connection, BoxMethods.FileWrite, (p, ct) => _sessions.WriteFileAsync(Required(p), ct));
    }

    private BoxHelloResult Hello(BoxHelloParams? parameters)
    {
        if (parameters is null || !TokenCheck.Matches(parameters.Token, _token))
        {
            _authenticated = false;
            Log.AuthenticationFailed(_logger, _transport, "wrong or missing token in box/hello");
            throw BoxErrors.Unauthorized("The Box token is wrong or missing. Pass the token the Box was started with (PLUGBOARD_BOX_TOKEN) to box/hello.");
        }

        if (parameters.ProtocolVersion != BoxMethods.ProtocolVersion)
        {
            throw BoxErrors.InvalidRequest("protocolVersion", $"This Box speaks protocol version {BoxMethods.ProtocolVersion}; the client asked for {parameters.ProtocolVersion}. Use matching versions of the runtime and plugboard-box.");
        }

        _authenticated = true;
        Log.ClientAuthenticated(_logger, parameters.Client ?? "(unnamed)", _transport);
        return new BoxHelloResult(BoxMethods.ProtocolVersion, Version, _instanceId, _sessions.Backends.Current?.Name, _sessions.RelayBaseUrl);
    }

    private BoxHealth Health()
    {
        var backend = _sessions.Backends.Current;
        return new BoxHealth(backend is not null, backend?.Name, _sessions.Backends.UnavailableReason);
    }

    private BoxStatus Status() => new(
        _instanceId,
        _sessions.Backends.Current?.Name,
        _sessions.Backends.UnavailableReason,
        _sessions.Count,
        _sessions.MaxSessions,
        Math.Round((DateTimeOffset.UtcNow - _startedAt).TotalSeconds, 1),
        _sessions.Backends.Describe(),
        _sessions.ProfileNames,
        _sessions.RecentErrors);

    private void Add<TParams, TResult>(JsonRpcConnection connection, string method, Func<TParams, CancellationToken, Task<TResult>> handler)
        => connection.AddMethod<TParams, TResult>(method, async (parameters, context) =>
        {
            if (!_authenticated)
            {
                throw BoxErrors.Unauthorized($"Call box/hello with the Box token before {method}.");
            }

            try
            {
                return await handler(parameters, context.CancellationToken).ConfigureAwait(false);
            }
            catch (JsonRpcException ex) when (ex.Code is Protocol.Contracts.PlugboardErrorCodes.BoxBackendError or Protocol.Contracts.PlugboardErrorCodes.BoxBackendUnavailable)
            {
                _sessions.RecordError(method, ex.Message);
                throw;
            }
        });

    private static T Required<T>(T? parameters)
        where T : class
        => parameters ?? throw BoxErrors.InvalidRequest("params", "This method needs parameters.");
}
