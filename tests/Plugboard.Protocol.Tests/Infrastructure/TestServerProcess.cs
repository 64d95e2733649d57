using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// The built <c>Plugboard.Protocol.TestServer</c> running as a real child process (<c>dotnet Plugboard.Protocol.TestServer.dll</c>,
/// copied next to this test assembly by the project reference). Its stderr is collected for failure messages.
/// </summary>
internal sealed class TestServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrLock = new();

    private TestServerProcess(Process process)
    {
        Process = process;
    }

    public Process Process { get; }

    /// <summary>The WebSocket endpoint when started with <c>--ws</c>.</summary>
    public Uri? Endpoint { get; private set; }

    public string StandardError
    {
        get
        {
            lock (_stderrLock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The test server program next to this assembly.</summary>
    public static string ServerPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Plugboard.Protocol.TestServer.dll");
            return File.Exists(path)
                ? path
                : throw new XunitException($"The test server was not found at {path}; build tests/Plugboard.Protocol.Tests (it references the TestServer project).");
        }
    }

    /// <summary>The <c>dotnet</c> host running this test process, so the child uses the same runtime.</summary>
    public static string DotnetHost
    {
        get
        {
            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }

            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            {
                return hostPath;
            }

            // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
            var fromRuntime = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            return File.Exists(fromRuntime) ? fromRuntime : "dotnet";
        }
    }

    /// <summary>Starts the server speaking JSON-RPC over its stdin/stdout.</summary>
    public static TestServerProcess StartStdio(bool ordered)
    {
        var server = Launch(ordered ? ["--ordered"] : []);
        return server;
    }

    /// <summary>Starts the server listening for WebSocket connections on a free loopback port; waits for READY.</summary>
    public static async Task<TestServerProcess> StartWebSocketAsync(bool ordered)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var server = Launch(ordered ? ["--ws", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ordered"] : ["--ws", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            string? line;
            try
            {
                do
                {
                    line = await server.Process.StandardOutput.ReadLineAsync().Within();
                }
                while (line is not null && line != "READY");
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }

            if (line == "READY")
            {
                server.Endpoint = new Uri($"ws://127.0.0.1:{port}/rpc");

                // Keep draining stdout (the server's console logger writes there) so it never blocks on a full pipe.
                _ = server.Process.StandardOutput.ReadToEndAsync();
                return server;
            }

            // It exited before READY — most likely the port was taken between probing and binding. Try another.
            var stderr = server.StandardError;
            await server.DisposeAsync();
            if (attempt == 3)
            {
                throw new XunitException($"The WebSocket test server did not start: {stderr}");
            }
        }
    }

    /// <summary>Kills the process (its whole tree) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await Process.WaitForExitAsync().Within();
    }

    /// <summary>Waits for the process to exit by itself, killing it if it does not within the step limit.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new XunitException($"The test server did not exit within {limit.TotalSeconds:0} s. stderr: {StandardError}");
        }

        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Process.Dispose();
    }

    private static TestServerProcess Launch(string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        start.ArgumentList.Add(ServerPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var server = new TestServerProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server._stderrLock)
                {
                    server._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        return server;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
