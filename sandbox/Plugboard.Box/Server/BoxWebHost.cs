using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Sessions;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Box.Server;

/// <summary>
/// The Box's HTTP endpoint (Kestrel): the managed-process relay
/// <c>GET /v1/sessions/{session}/processes/{process}/attach</c> (a WebSocket; binary or text messages go to the
/// process's stdin, its stdout comes back as binary messages) and, in <c>--listen</c> mode, the control endpoint
/// <c>GET /rpc</c> (a WebSocket carrying the Box protocol). Both require <c>Authorization: Bearer TOKEN</c> before
/// the upgrade: the Box token, or for the relay the process's own attach token.
/// </summary>
internal sealed class BoxWebHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BoxWebHost(WebApplication app) => _app = app;

    /// <summary>The base WebSocket URL (<c>ws://host:port</c>).</summary>
    public string BaseUrl { get; private set; } = "";

    public static async Task<BoxWebHost> StartAsync(string listen, SessionManager sessions, string token, bool serveControl, Func<string, BoxConnectionHandler> handlerFactory, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseUrls(listen);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var logger = loggerFactory.CreateLogger("Plugboard.Box.Relay");
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });

        app.Map("/v1/sessions/{sessionId}/processes/{processId}/attach", async (HttpContext context, string sessionId, string processId) =>
        {
            var presented = TokenCheck.FromAuthorizationHeader(context.Request.Headers.Authorization);
            if (presented is null)
            {
                await RejectAsync(context, logger, sessionId, processId, StatusCodes.Status401Unauthorized, "no bearer token").ConfigureAwait(false);
                return;
            }

            Processes.ManagedProcess process;
            try
            {
                process = sessions.GetProcess(sessionId, processId);
            }
            catch (JsonRpcException)
            {
                // Do not tell an unauthenticated caller which sessions exist.
                var status = TokenCheck.Matches(presented, token) ? StatusCodes.Status404NotFound : StatusCodes.Status401Unauthorized;
                await RejectAsync(context, logger, sessionId, processId, status, "no such process").ConfigureAwait(false);
                return;
            }

            if (!TokenCheck.Matches(presented, process.AttachToken) && !TokenCheck.Matches(presented, token))
            {
                await RejectAsync(context, logger, sessionId, processId, StatusCodes.Status401Unauthorized, "wrong token").ConfigureAwait(false);
                return;
            }

            if (!context.WebSockets.IsWebSocketRequest)
            {
                await RejectAsync(context, logger, sessionId, processId, StatusCodes.Status400BadRequest, "not a WebSocket upgrade").ConfigureAwait(false);
                return;
            }

            if (!process.IsRunning)
            {
                await RejectAsync(context, logger, sessionId, processId, StatusCodes.Status410Gone, "the process has exited").ConfigureAwait(false);
                return;
            }

            if (!process.TryClaimAttach())
            {
                await RejectAsync(context, logger, sessionId, processId, StatusCodes.Status409Conflict, "another client is attached").ConfigureAwait(false);
                return;
            }

            try
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
                Log.RelayAttached(logger, sessionId, processId);
                await process.RelayAsync(socket, context.RequestAborted).ConfigureAwait(false);
            }
            catch
            {
                // RelayAsync releases the slot itself; a failed accept must too.
                process.ReleaseAttach();
                throw;
            }
        });

        if (serveControl)
        {
            app.Map("/rpc", async (HttpContext context) =>
            {
                if (!TokenCheck.Matches(TokenCheck.FromAuthorizationHeader(context.Request.Headers.Authorization), token))
                {
                    Log.AuthenticationFailed(logger, "websocket", "missing or wrong bearer token on /rpc");
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }

                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
                }

                using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
                await using var connection = new JsonRpcConnection(new WebSocketTransport(socket), BoxJsonContext.CreateConnectionOptions(), loggerFactory.CreateLogger("Plugboard.Box.Rpc"));
                handlerFactory("websocket").Register(connection);
                connection.Start();
                await connection.Completion.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            });
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no listening address.");
        var uri = new Uri(address);
        return new BoxWebHost(app) { BaseUrl = $"ws://{uri.Host}:{uri.Port}" };
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task RejectAsync(HttpContext context, ILogger logger, string sessionId, string processId, int status, string reason)
    {
        Log.RelayRejected(logger, sessionId, processId, status, reason);
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await context.Response.WriteAsync(reason).ConfigureAwait(false);
    }
}
