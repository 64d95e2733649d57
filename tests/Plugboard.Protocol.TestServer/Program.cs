using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.TestServer;
using Plugboard.Protocol.Transports;

var mode = args.Contains("--ordered") ? DispatchMode.Ordered : DispatchMode.Concurrent;
var wsIndex = Array.IndexOf(args, "--ws");
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine("Usage: Plugboard.Protocol.TestServer [--ws <port>] [--ordered]");
    Console.Error.WriteLine("  Serves the test method contract over stdio (default) or WebSocket on 127.0.0.1:<port>/rpc.");
    return 0;
}

if (wsIndex < 0)
{
    var methods = new TestMethods();
    var transport = new HeaderDelimitedTransport(Console.OpenStandardInput(), Console.OpenStandardOutput());
    await using var connection = new JsonRpcConnection(transport, TestMethods.CreateOptions(mode));
    methods.Register(connection);
    connection.Start();
    var end = await connection.Completion;
    Console.Error.WriteLine($"test server: connection ended ({end.Reason}): {end.Description}");
    return 0;
}

var port = int.Parse(args[wsIndex + 1], CultureInfo.InvariantCulture);
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
var app = builder.Build();
app.UseWebSockets();
app.Map("/rpc", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    var socket = await context.WebSockets.AcceptWebSocketAsync();
    var methods = new TestMethods();
    await using var connection = new JsonRpcConnection(new WebSocketTransport(socket), TestMethods.CreateOptions(mode));
    methods.Register(connection);
    connection.Start();
    await connection.Completion;
});
app.Lifetime.ApplicationStarted.Register(() =>
{
    Console.Error.WriteLine($"test server: listening on ws://127.0.0.1:{port}/rpc");
    Console.Out.WriteLine("READY");
});
await app.RunAsync();
return 0;
