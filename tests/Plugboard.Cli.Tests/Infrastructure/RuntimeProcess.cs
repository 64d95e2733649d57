using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Cli.Tests.Infrastructure;

/// <summary>A real <c>plugboard run</c> process over its own data folder, on a free port.</summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _pumps;

    private RuntimeProcess(Process process, string dataDirectory, IDictionary<string, string?> environment)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Environment = environment;
        _pumps = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
    }

    public string DataDirectory { get; }

    public IDictionary<string, string?> Environment { get; }

    public int ProcessId => _process.Id;

    public string ControlUrl { get; private set; } = "";

    public string DebugUrl { get; private set; } = "";

    public string HealthUrl { get; private set; } = "";

    public string ControlToken => File.ReadAllText(Path.Combine(DataDirectory, "control.token")).Trim();

    public string DebugToken => File.ReadAllText(Path.Combine(DataDirectory, "debug.token")).Trim();

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

    public bool HasExited => _process.HasExited;

    /// <summary>Fast supervision timings for tests.</summary>
    public static Dictionary<string, string?> FastSettings() => new()
    {
        ["PLUGBOARD__SUPERVISOR__PINGINTERVAL"] = "500ms",
        ["PLUGBOARD__SUPERVISOR__PINGTIMEOUT"] = "3s",
        ["PLUGBOARD__SUPERVISOR__RESTARTBASEDELAY"] = "100ms",
        ["PLUGBOARD__SUPERVISOR__RESTARTMAXDELAY"] = "1s",
        ["PLUGBOARD__SUPERVISOR__SHUTDOWNTIMEOUT"] = "3s",
        ["PLUGBOARD__SUPERVISOR__READYTIMEOUT"] = "60s",
    };

    /// <summary>Starts <c>plugboard run</c> and waits until it wrote runtime.json.</summary>
    public static async Task<RuntimeProcess> StartAsync(string dataDirectory, IDictionary<string, string?>? environment = null, IEnumerable<string>? extraArgs = null)
    {
        var env = FastSettings();
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            env[key] = value;
        }

        var info = Path.Combine(dataDirectory, "runtime.json");
        var process = CliProcess.Start("dotnet", [CliPaths.CliDll, "run", "--data-dir", dataDirectory, "--port", "0", .. extraArgs ?? []], env);
        var runtime = new RuntimeProcess(process, dataDirectory, env);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await runtime._pumps;
                throw new InvalidOperationException($"plugboard run exited with {process.ExitCode}:{System.Environment.NewLine}{runtime.Output}");
            }

            if (File.Exists(info))
            {
                try
                {
                    using var document = JsonDocument.Parse(await File.ReadAllTextAsync(info));
                    var root = document.RootElement;
                    if (root.GetProperty("processId").GetInt32() == process.Id)
                    {
                        runtime.ControlUrl = root.GetProperty("controlUrl").GetString()!;
                        runtime.DebugUrl = root.GetProperty("debugUrl").GetString() ?? "";
                        runtime.HealthUrl = root.GetProperty("healthUrl").GetString()!;
                        return runtime;
                    }
                }
                catch (Exception ex) when (ex is JsonException or IOException)
                {
                    // Being written.
                }
            }

            await Task.Delay(100);
        }

        await runtime.DisposeAsync();
        throw new TimeoutException($"plugboard run did not write {info} within 120 s:{System.Environment.NewLine}{runtime.Output}");
    }

    /// <summary>Runs a <c>plugboard</c> command against this runtime.</summary>
    public Task<CliResult> CliAsync(params string[] args)
        => CliProcess.RunAsync([.. args, "--data-dir", DataDirectory], Environment);

    /// <summary>Opens a raw JSON-RPC connection to <c>/control</c> with the token.</summary>
    public async Task<JsonRpcConnection> ConnectAsync(Action<JsonRpcConnection>? configure = null, string? token = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + (token ?? ControlToken));
        await socket.ConnectAsync(new Uri(ControlUrl), CancellationToken.None);
        var connection = new JsonRpcConnection(new WebSocketTransport(socket));
        configure?.Invoke(connection);
        connection.Start();
        return connection;
    }

    /// <summary>Waits until the runtime printed <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The runtime did not print '{text}' within {timeout}:{System.Environment.NewLine}{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Stops the runtime gracefully (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            CliProcess.Terminate(_process);
            using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        await _pumps;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private async Task Pump(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
