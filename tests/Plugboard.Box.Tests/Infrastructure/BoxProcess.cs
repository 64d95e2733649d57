using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Plugboard.Box.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Box.Tests.Infrastructure;

/// <summary>A real <c>plugboard-box</c> process over stdio, with its own data folder and token.</summary>
public sealed class BoxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stderr = new();

    private BoxProcess(Process process, string token, string dataDirectory, JsonRpcConnection connection)
    {
        _process = process;
        Token = token;
        DataDirectory = dataDirectory;
        Connection = connection;
        Client = new BoxClient(connection);
    }

    public string Token { get; }

    public string DataDirectory { get; }

    public JsonRpcConnection Connection { get; }

    public BoxClient Client { get; }

    public int ProcessId => _process.Id;

    public BoxHelloResult Hello { get; private set; } = null!;

    public string Stderr => string.Join('\n', _stderr);

    public static string BoxDll => Path.Combine(AppContext.BaseDirectory, "plugboard-box.dll");

    public static string DockerImage => Environment.GetEnvironmentVariable("PLUGBOARD_TEST_DOCKER_IMAGE") is { Length: > 0 } image ? image : "plugboard/busybox:test";

    /// <summary>Starts a Box. <paramref name="settings"/> become PLUGBOARD_BOX_* variables (e.g. <c>Backend</c>, <c>MaxSessions</c>).</summary>
    public static async Task<BoxProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null, bool hello = true)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        dataDirectory ??= TestPaths.NewDirectory("box-data");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BoxDll);
        start.ArgumentList.Add("--stdio");
        start.Environment["PLUGBOARD_BOX_TOKEN"] = token;
        start.Environment["PLUGBOARD_BOX_DataDirectory"] = dataDirectory;
        start.Environment["PLUGBOARD_BOX_Docker__DefaultImage"] = DockerImage;
        start.Environment["PLUGBOARD_BOX_LogLevel"] = "Debug";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment["PLUGBOARD_BOX_" + key] = value;
        }

        var process = Process.Start(start)!;
        var connection = new JsonRpcConnection(new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream), BoxJsonContext.CreateConnectionOptions());
        var box = new BoxProcess(process, token, dataDirectory, connection);
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                box._stderr.Enqueue(line);
                while (box._stderr.Count > 400 && box._stderr.TryDequeue(out _))
                {
                }
            }
        });
        connection.Start();
        if (hello)
        {
            try
            {
                box.Hello = await box.Client.HelloAsync(token, "tests").WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception ex)
            {
                var stderr = box.Stderr;
                await box.DisposeAsync();
                throw new InvalidOperationException($"The Box did not answer box/hello: {ex.Message}\n{stderr}", ex);
            }
        }

        return box;
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>Kills the process at once (no clean-up), like a crash.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await Client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception)
            {
                // Dead or unresponsive: kill it below.
            }

            await Connection.DisposeAsync();
            if (!_process.WaitForExit(15_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        else
        {
            await Connection.DisposeAsync();
        }

        _process.Dispose();
    }
}

/// <summary>Scratch folders for the tests, under one root removed at the end of each run.</summary>
public static class TestPaths
{
    public static string Root { get; } = CreateRoot();

    public static string NewDirectory(string prefix)
    {
        var path = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string CreateRoot()
    {
        var parent = Path.Combine(Path.GetTempPath(), "plugboard-box-tests");
        Directory.CreateDirectory(parent);

        // Folders of earlier runs whose test process is gone (their Boxes unmounted their workspaces on shutdown).
        foreach (var stale in Directory.EnumerateDirectories(parent))
        {
            if (int.TryParse(Path.GetFileName(stale), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(stale, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Still mounted (a crashed Box): the next Box with that data folder cleans it.
                }
            }
        }

        var root = Path.Combine(parent, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        return root;
    }
}
