using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Plugboard.Mcp.Tests.Infrastructure;

/// <summary>The outcome of one process run.</summary>
internal sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>Runs the real <c>plugboard</c> process, the conformance client and Node.js programs.</summary>
internal static class Processes
{
    /// <summary>The plugboard.dll the test project references.</summary>
    public static string CliDll { get; } = Metadata("PlugboardCliPath");

    /// <summary>The Box process (plugboard-box.dll) the test project references.</summary>
    public static string BoxDll { get; } = Metadata("BoxPath");

    /// <summary>The conformance client the test project references.</summary>
    public static string ConformanceClientDll { get; } = Metadata("ConformanceClientPath");

    /// <summary>Runs <c>plugboard args</c> to completion.</summary>
    public static Task<ProcessResult> PlugboardAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
        => RunAsync("dotnet", [CliDll, .. args], environment, timeout);

    /// <summary>Runs a program to completion (stdin closed), killing its tree after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string program, IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = Start(program, args, environment, workingDirectory);
        process.StandardInput.Close();
        var output = new StringBuilder();
        var error = new StringBuilder();
        var pumps = Task.WhenAll(Pump(process.StandardOutput, output), Pump(process.StandardError, error));
        var limit = timeout ?? TimeSpan.FromMinutes(3);
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await pumps;
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {limit}.{Environment.NewLine}stdout: {output}{Environment.NewLine}stderr: {error}");
        }

        await pumps;
        return new ProcessResult(process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>Starts a process with redirected streams, isolated from the machine's own Plugboard configuration.</summary>
    public static Process Start(string program, IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PLUGBOARD", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "plugboard-mcp-tests-no-config");
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
    }

    public static async Task Pump(StreamReader reader, StringBuilder target)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (target)
            {
                target.Append(buffer, 0, read);
            }
        }
    }

    private static string Metadata(string key) => typeof(Processes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The test assembly does not record {key}; rebuild the test project.");
}

/// <summary>A real <c>plugboard run</c> process over its own data folder, on a free port.</summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _pumps;

    private RuntimeProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _pumps = Task.WhenAll(Processes.Pump(process.StandardOutput, _output), Processes.Pump(process.StandardError, _output));
    }

    public string DataDirectory { get; }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    public string McpUrl => BaseUrl + "/mcp";

    public string ControlToken => File.ReadAllText(Path.Combine(DataDirectory, "control.token")).Trim();

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Fast supervision timings.</summary>
    public static Dictionary<string, string?> FastSettings() => new()
    {
        ["PLUGBOARD__SUPERVISOR__PINGINTERVAL"] = "1s",
        ["PLUGBOARD__SUPERVISOR__PINGTIMEOUT"] = "10s",
        ["PLUGBOARD__SUPERVISOR__RESTARTBASEDELAY"] = "100ms",
        ["PLUGBOARD__SUPERVISOR__RESTARTMAXDELAY"] = "1s",
        ["PLUGBOARD__SUPERVISOR__SHUTDOWNTIMEOUT"] = "5s",
        ["PLUGBOARD__SUPERVISOR__READYTIMEOUT"] = "60s",
    };

    /// <summary>Starts <c>plugboard run</c> (with <paramref name="configFile"/> when given) and waits until it wrote runtime.json.</summary>
    public static async Task<RuntimeProcess> StartAsync(string dataDirectory, string? configFile = null, IDictionary<string, string?>? environment = null)
    {
        var env = FastSettings();
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        string[] config = configFile is null ? [] : ["--config", configFile];
        var process = Processes.Start("dotnet", [Processes.CliDll, "run", "--data-dir", dataDirectory, "--port", "0", .. config], env);
        var runtime = new RuntimeProcess(process, dataDirectory);
        var info = Path.Combine(dataDirectory, "runtime.json");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await runtime._pumps;
                throw new InvalidOperationException($"plugboard run exited with {process.ExitCode}:{Environment.NewLine}{runtime.Output}");
            }

            if (File.Exists(info))
            {
                try
                {
                    using var document = JsonDocument.Parse(await File.ReadAllTextAsync(info));
                    var health = document.RootElement.GetProperty("healthUrl").GetString()!;
                    runtime.BaseUrl = health[..^"/healthz".Length];
                    return runtime;
                }
                catch (Exception ex) when (ex is JsonException or IOException)
                {
                    // Still being written.
                }
            }

            await Task.Delay(100);
        }

        await runtime.DisposeAsync();
        throw new TimeoutException($"plugboard run did not write {info} within 120 s:{Environment.NewLine}{runtime.Output}");
    }

    /// <summary>Runs <c>plugboard --data-dir &lt;this runtime's folder&gt; args</c>.</summary>
    public Task<ProcessResult> CliAsync(params string[] args) => Processes.PlugboardAsync(["--data-dir", DataDirectory, .. args]);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the graceful stop path (plugins and MCP servers stopped), then the tree as a last resort.
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        await _pumps;
        _process.Dispose();
    }
}
