using System.Net;
using System.Net.WebSockets;
using System.Text;
using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Box.Tests.Docker;

/// <summary>Managed processes and the authenticated WebSocket relay, plus authentication of the control channel.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerRelayTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task Relay_EchoProcess_RelaysStdinAndStdout()
    {
        var session = DockerBoxFixture.NewSessionId("relay");
        var info = await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "echo", Argv = ["cat"] });
        Assert.Equal(BoxProcessStatus.Running, info.Status);
        Assert.NotNull(info.AttachToken);
        Assert.NotNull(info.AttachUrl);

        using (var socket = await ConnectAsync(info.AttachUrl!, info.AttachToken))
        {
            await SendAsync(socket, "hello relay\n");
            Assert.Equal("hello relay\n", await ReceiveTextAsync(socket, "hello relay\n".Length));
            Assert.True((await Client.GetProcessAsync(session, "echo")).Attached);

            // One client at a time.
            var second = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(info.AttachUrl!, info.AttachToken));
            Assert.Contains("409", second.Message, StringComparison.Ordinal);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }

        // The process outlives its client; a new client continues, here with the Box token.
        await WaitUntilAsync(async () => !(await Client.GetProcessAsync(session, "echo")).Attached);
        using (var again = await ConnectAsync(info.AttachUrl!, fixture.Box.Token))
        {
            await SendAsync(again, "second\n");
            Assert.Equal("second\n", await ReceiveTextAsync(again, "second\n".Length));
        }

        var stopped = await Client.StopProcessAsync(session, "echo");
        Assert.Equal(BoxProcessStatus.Exited, stopped.Status);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Relay_WithoutOrWithAWrongToken_IsRefused()
    {
        var session = DockerBoxFixture.NewSessionId("relayauth");
        var info = await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "p", Argv = ["cat"] });

        var none = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(info.AttachUrl!, null));
        Assert.Contains("401", none.Message, StringComparison.Ordinal);
        var wrong = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(info.AttachUrl!, "not-the-token-0000000000"));
        Assert.Contains("401", wrong.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(info.AttachUrl!.Replace("/processes/p/", "/processes/other/", StringComparison.Ordinal), info.AttachToken));
        Assert.Contains("401", unknown.Message, StringComparison.Ordinal);

        using var http = new HttpClient();
        var plain = await http.GetAsync(info.AttachUrl!.Replace("ws://", "http://", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, plain.StatusCode);
        Assert.False((await Client.GetProcessAsync(session, "p")).Attached);
        await Client.DeleteSessionAsync(session);
        await Client.AssertResponsiveAsync();
    }

    [Fact]
    public async Task ManagedProcess_ExitsByItself_ReportsExitCodeAndStderr()
    {
        var session = DockerBoxFixture.NewSessionId("exits");
        await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "short", Argv = ["sh", "-c", "echo failing >&2; exit 7"] });
        await WaitUntilAsync(async () => (await Client.GetProcessAsync(session, "short")).Status == BoxProcessStatus.Exited);
        var info = await Client.GetProcessAsync(session, "short");
        Assert.Equal(7, info.ExitCode);
        Assert.Equal("failing\n", info.StderrTail);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProcessNotFound, () => Client.GetProcessAsync(session, "nope"));
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task ManagedProcess_SurvivesATimeoutSweepOfAnotherCommand()
    {
        var session = DockerBoxFixture.NewSessionId("protect");
        await Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "server", Argv = ["sh", "-c", "sleep 1000 & sleep 1001"] });
        await Task.Delay(300);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxProcessConflict, () => Client.StartProcessAsync(new BoxProcessStartParams { SessionId = session, ProcessId = "server", Argv = ["true"] }));

        var timedOut = await Client.ShAsync(session, "sleep 999", timeoutSeconds: 1);
        Assert.Equal(BoxExecStatus.TimedOut, timedOut.Status);
        Assert.Equal(BoxProcessStatus.Running, (await Client.GetProcessAsync(session, "server")).Status);
        var remaining = await Client.ShAsync(session, "ps -o args | grep '[s]leep 10' | sort");
        Assert.Equal("sleep 1000\nsleep 1001\n", remaining.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Control_MethodsBeforeHelloOrWithAWrongToken_AreUnauthorized()
    {
        await using var box = await BoxProcess.StartAsync(new Dictionary<string, string> { ["Backend"] = BoxBackendNames.Docker }, hello: false);
        var unauthenticated = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxUnauthorized, () => box.Client.ShAsync("nope", "id"));
        Assert.Contains("box/hello", unauthenticated.Message, StringComparison.Ordinal);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxUnauthorized, () => box.Client.StatusAsync());
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxUnauthorized, () => box.Client.HelloAsync("wrong-token-0123456789"));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxUnauthorized, () => box.Client.ShutdownAsync());

        await box.Client.HelloAsync(box.Token);
        Assert.NotNull(await box.Client.StatusAsync());
    }

    internal static async Task<ClientWebSocket> ConnectAsync(string url, string? token)
    {
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(new Uri(url), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static Task SendAsync(WebSocket socket, string text)
        => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    internal static async Task<string> ReceiveTextAsync(WebSocket socket, int bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        var total = 0;
        while (total < bytes)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            total += result.Count;
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        return text.ToString();
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 15 s");
            await Task.Delay(100);
        }
    }
}

/// <summary>A remote Box: the Box protocol over a WebSocket, which requires the token before the upgrade.</summary>
public sealed class RemoteBoxTests
{
    [Fact]
    public async Task ListenMode_ControlOverWebSocket_NeedsTheBearerToken()
    {
        var token = "remote-token-0123456789abcdef";
        var port = FreePort();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(BoxProcess.BoxDll);
        start.ArgumentList.Add("--listen");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["PLUGBOARD_BOX_TOKEN"] = token;
        start.Environment["PLUGBOARD_BOX_DataDirectory"] = TestPaths.NewDirectory("remote");
        start.Environment["PLUGBOARD_BOX_Backend"] = BoxBackendNames.Docker;
        start.Environment["PLUGBOARD_BOX_Docker__DefaultImage"] = BoxProcess.DockerImage;
        using var process = System.Diagnostics.Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            var url = $"ws://127.0.0.1:{port}/rpc";
            await WaitForListenerAsync(port);
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => DockerRelayTests.ConnectAsync(url, null));
            Assert.Contains("401", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<WebSocketException>(() => DockerRelayTests.ConnectAsync(url, "wrong-token-0123456789"));

            using var socket = await DockerRelayTests.ConnectAsync(url, token);
            await using var connection = new JsonRpcConnection(new WebSocketTransport(socket), BoxJsonContext.CreateConnectionOptions());
            connection.Start();
            var client = new BoxClient(connection);
            await client.HelloAsync(token, "remote-test");
            var result = await client.ShAsync("remote", "echo over websocket");
            Assert.Equal("over websocket\n", result.Stdout);
            await client.ShutdownAsync();
            Assert.True(process.WaitForExit(30_000));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForListenerAsync(int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
