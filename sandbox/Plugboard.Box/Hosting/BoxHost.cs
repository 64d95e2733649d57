using Microsoft.Extensions.Logging;
using Plugboard.Box.Backends;
using Plugboard.Box.Backends.Docker;
using Plugboard.Box.Backends.Host;
using Plugboard.Box.Security;
using Plugboard.Box.Server;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Hosting;

/// <summary>
/// The Box's composition root: backends, sessions, the reaper and the web endpoint. At start-up it removes what a
/// crashed predecessor left behind (containers by label, mounts, jail state), then serves until shut down.
/// </summary>
internal sealed class BoxHost : IAsyncDisposable
{
    private readonly string _token;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BoxWebHost? _web;
    private int _shutdown;

    private BoxHost(string token, BoxIdentity identity, SessionManager sessions, BackendSelector backends, ILoggerFactory loggerFactory)
    {
        _token = token;
        Identity = identity;
        Sessions = sessions;
        Backends = backends;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Plugboard.Box");
    }

    public BoxIdentity Identity { get; }

    public SessionManager Sessions { get; }

    public BackendSelector Backends { get; }

    /// <summary>Completes when a client asked the Box to shut down (after the cleanup).</summary>
    public Task ShutdownRequested => _shutdownRequested.Task;

    public string RelayBaseUrl => _web?.BaseUrl ?? "";

    /// <summary>rwx--x--x: others may pass through to a folder they know the name of, never list.</summary>
    internal const UnixFileMode TraverseOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static async Task<BoxHost> StartAsync(BoxServerOptions options, string token, bool serveControl, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Plugboard.Box");
        Directory.CreateDirectory(options.DataDirectory);
        // Traversable but not listable: jails run as an unprivileged uid that must reach their own folders by name.
        File.SetUnixFileMode(options.DataDirectory, TraverseOnly);
        var identity = new BoxIdentity(options.DataDirectory, options.Scope);
        var workspaces = new WorkspaceStore(options.DataDirectory, logger);
        await workspaces.RecoverAsync(cancellationToken).ConfigureAwait(false);

        var mounts = new MountValidator(options.AllowedMountRoots, [options.Docker.SocketPath, options.DataDirectory]);
        foreach (var problem in mounts.Problems)
        {
            Log.ConfigurationProblem(logger, problem);
        }

        var resolver = new SessionSpecResolver(new BoxProfileRegistry(options.Profiles), mounts);
        ISandboxBackend[] all =
        [
            new DockerBackend(options.Docker, identity, workspaces, loggerFactory.CreateLogger("Plugboard.Box.Docker")),
            new BubblewrapBackend(options.Bubblewrap, options.DataDirectory, identity, workspaces, loggerFactory.CreateLogger("Plugboard.Box.Bubblewrap")),
            new NsjailBackend(options.Nsjail, options.DataDirectory, identity, workspaces, loggerFactory.CreateLogger("Plugboard.Box.Nsjail")),
        ];
        var selector = new BackendSelector(all, options.Backend, logger);
        var sessions = new SessionManager(selector, resolver, options, TimeProvider.System, logger);
        var host = new BoxHost(token, identity, sessions, selector, loggerFactory);
        try
        {
            // Backends, then the leftovers of a crashed predecessor.
            await sessions.ReapOnceAsync(cancellationToken).ConfigureAwait(false);
            host._web = await BoxWebHost.StartAsync(options.Listen, sessions, token, serveControl, host.CreateHandler, loggerFactory, cancellationToken).ConfigureAwait(false);
            sessions.RelayBaseUrl = host._web.BaseUrl;
            sessions.StartReaper();
            Log.Started(logger, identity.InstanceId, selector.Current?.Name ?? "none", options.DataDirectory, host._web.BaseUrl);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public BoxConnectionHandler CreateHandler(string transport)
        => new(Sessions, _token, Identity.InstanceId, Identity.StartedAt, transport, RequestShutdownAsync, _loggerFactory.CreateLogger("Plugboard.Box.Rpc"));

    /// <summary>Removes everything the Box created; idempotent.</summary>
    public async Task RequestShutdownAsync()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) == 0)
        {
            Log.ShuttingDown(_logger, "requested");
            await Sessions.ShutdownAsync().ConfigureAwait(false);
            _shutdownRequested.TrySetResult();
        }
        else
        {
            await _shutdownRequested.Task.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RequestShutdownAsync().ConfigureAwait(false);
        if (_web is not null)
        {
            await _web.DisposeAsync().ConfigureAwait(false);
        }

        await Sessions.DisposeAsync().ConfigureAwait(false);
        await Backends.DisposeAsync().ConfigureAwait(false);
    }
}
