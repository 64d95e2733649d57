using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Runtime.Box;

/// <summary>
/// Keeps the runtime connected to its Box: spawns <c>plugboard-box --stdio</c> (with a fresh random token in its
/// environment) or connects to a remote Box's WebSocket (with the configured token as a bearer header), says
/// <c>box/hello</c>, pings it every <see cref="PlugboardBoxOptions.HeartbeatInterval"/>, and after a failure reconnects
/// with exponential backoff and jitter. A spawned Box exits by itself when the runtime dies (its stdin closes).
/// </summary>
internal sealed class BoxConnector : IAsyncDisposable
{
    private readonly PlugboardBoxOptions _options;
    private readonly string _runtimeDataDirectory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _stderrTail = new();
    private Task? _loop;
    private Process? _process;
    private JsonRpcConnection? _connection;
    private volatile BoxClient? _client;
    private BoxConnectionStatus _status;

    public BoxConnector(PlugboardBoxOptions options, string runtimeDataDirectory, ILogger logger)
    {
        _options = options;
        _runtimeDataDirectory = runtimeDataDirectory;
        _logger = logger;
        _status = new BoxConnectionStatus(options.Enabled ? BoxConnectionState.Connecting : BoxConnectionState.Disabled, options.Enabled ? null : "The Box is not enabled (Box:Enabled is false).", null, null, DateTimeOffset.UtcNow, 0);
    }

    /// <summary>Raised when a connection is ready and whenever the Box's health changes (a backend appears or goes away).</summary>
    public event Action<BoxHealth>? HealthChanged;

    /// <summary>Raised when the connection is lost or could not be made, with the reason.</summary>
    public event Action<string>? Disconnected;

    public BoxConnectionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>The client of the current connection, or null.</summary>
    public BoxClient? Client => _client;

    /// <summary>Starts connecting; waits for the outcome of the first attempt (never throws because the Box is unavailable).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled || _loop is not null)
        {
            return;
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        await _firstAttempt.Task.WaitAsync(_options.ConnectTimeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the Box to clean up and exit (a spawned Box), then disconnects.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        var client = _client;
        if (client is not null && _process is not null)
        {
            try
            {
                await client.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or TimeoutException or OperationCanceledException)
            {
                // It is going away either way.
            }
        }

        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        SetStatus(BoxConnectionState.Stopped, "The runtime stopped.", null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failures = 0;
        var reconnects = 0;
        while (!stopping.IsCancellationRequested)
        {
            string reason;
            try
            {
                SetStatus(BoxConnectionState.Connecting, null, null, null, reconnects);
                var (client, hello, transport) = await ConnectAsync(stopping).ConfigureAwait(false);
                _client = client;
                failures = 0;
                BoxLog.Connected(_logger, transport, hello.Backend ?? "none", hello.RelayUrl ?? "-");
                var health = await client.Connection.InvokeAsync<BoxHealth>(BoxMethods.Health, new BoxEmpty(), _options.HeartbeatTimeout, stopping).ConfigureAwait(false);
                OnHealth(health, hello.RelayUrl, reconnects, changed: true);
                _firstAttempt.TrySetResult();
                reason = await HeartbeatAsync(client, health, hello.RelayUrl, reconnects, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                reason = "The runtime stopped.";
            }
            catch (Exception ex)
            {
                reason = Describe(ex);
                if (_process is not null && !_stderrTail.IsEmpty)
                {
                    reason += " Last Box output: " + string.Join(" | ", _stderrTail);
                }
            }

            _client = null;
            Disconnected?.Invoke(reason);
            await CloseAsync().ConfigureAwait(false);
            if (stopping.IsCancellationRequested)
            {
                break;
            }

            reconnects++;
            var delay = Backoff(failures++);
            SetStatus(BoxConnectionState.Unavailable, reason, null, null, reconnects);
            BoxLog.Unavailable(_logger, reason, (long)delay.TotalMilliseconds);
            _firstAttempt.TrySetResult();
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        _firstAttempt.TrySetResult();
    }

    private async Task<(BoxClient Client, BoxHelloResult Hello, string Transport)> ConnectAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.ConnectTimeout);
        JsonRpcTransport transport;
        string token;
        string kind;
        if (_options.Endpoint is { } endpoint)
        {
            token = _options.Token!;
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            try
            {
                await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            transport = new WebSocketTransport(socket);
            kind = "websocket " + endpoint;
        }
        else
        {
            token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            var process = Spawn(token);
            _process = process;
            transport = new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream);
            kind = $"stdio, pid {process.Id}";
        }

        var connection = new JsonRpcConnection(transport, BoxJsonContext.CreateConnectionOptions(), _logger);
        _connection = connection;
        connection.Start();
        var client = new BoxClient(connection);
        var hello = await client.HelloAsync(token, "plugboard-runtime", timeout.Token).ConfigureAwait(false);
        return (client, hello, kind);
    }

    private Process Spawn(string token)
    {
        var executable = _options.Executable ?? Path.Combine(AppContext.BaseDirectory, "plugboard-box.dll");
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException($"The Box program {executable} does not exist. Reference the Plugboard.Box project from the host, or set Box:Executable to plugboard-box (or plugboard-box.dll).", executable);
        }

        var isDll = executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? "dotnet" : executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (isDll)
        {
            start.ArgumentList.Add(executable);
        }

        start.ArgumentList.Add("--stdio");
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PLUGBOARD_BOX_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["PLUGBOARD_BOX_TOKEN"] = token;
        start.Environment["PLUGBOARD_BOX_DataDirectory"] = _options.DataDirectory ?? Path.Combine(_runtimeDataDirectory, "box");
        start.Environment["PLUGBOARD_BOX_Backend"] = _options.Backend;
        foreach (var (key, value) in _options.Settings)
        {
            start.Environment["PLUGBOARD_BOX_" + key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                LogBoxLine(line);
                _stderrTail.Enqueue(line);
                while (_stderrTail.Count > 10 && _stderrTail.TryDequeue(out _))
                {
                }
            }
        });
        return process;
    }

    private void OnHealth(BoxHealth health, string? relay, int reconnects, bool changed)
    {
        SetStatus(BoxConnectionState.Connected, health.Healthy ? null : $"The Box has no sandbox backend available: {health.Reason}", health.Backend, relay, reconnects);
        if (changed)
        {
            if (!health.Healthy)
            {
                BoxLog.NoBackend(_logger, health.Reason ?? "unknown");
            }

            HealthChanged?.Invoke(health);
        }
    }

    /// <summary>The Box logs one JSON object per line on stderr; each becomes a structured entry at its own level.</summary>
    private void LogBoxLine(string line)
    {
        if (line.StartsWith('{'))
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.TryGetProperty("LogLevel", out var level) && Enum.TryParse<LogLevel>(level.GetString(), out var parsed)
                    && root.TryGetProperty("Message", out var message))
                {
                    var category = root.TryGetProperty("Category", out var c) ? c.GetString() ?? "box" : "box";
                    var exception = root.TryGetProperty("Exception", out var e) ? e.GetString() : null;
                    RuntimeLog.PluginStructuredLog(_logger, parsed, category, message.GetString() ?? "", exception);
                    return;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a log object: keep the raw line.
            }
        }

        BoxLog.Stderr(_logger, line);
    }

    private async Task<string> HeartbeatAsync(BoxClient client, BoxHealth last, string? relay, int reconnects, CancellationToken stopping)
    {
        var connection = client.Connection;
        while (true)
        {
            var tick = Task.Delay(_options.HeartbeatInterval, stopping);
            if (await Task.WhenAny(tick, connection.Completion).ConfigureAwait(false) == connection.Completion)
            {
                var disconnect = await connection.Completion.ConfigureAwait(false);
                return $"The connection to the Box ended ({disconnect.Reason}: {disconnect.Description}){ProcessExit()}.";
            }

            await tick.ConfigureAwait(false);
            try
            {
                // box/health is the heartbeat: it proves the Box answers and tells whether it still has a backend.
                var health = await connection.InvokeAsync<BoxHealth>(BoxMethods.Health, new BoxEmpty(), _options.HeartbeatTimeout, stopping).ConfigureAwait(false);
                OnHealth(health, relay, reconnects, changed: health.Healthy != last.Healthy || health.Backend != last.Backend);
                last = health;
            }
            catch (TimeoutException)
            {
                return $"The Box did not answer a heartbeat within {_options.HeartbeatTimeout.TotalSeconds:0.#} s.";
            }
        }
    }

    private async Task CloseAsync()
    {
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            // Its stdin is closed now: a healthy Box removes its sessions and exits.
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                BoxLog.KilledOnShutdown(_logger, 30_000);
            }

            process.Dispose();
        }
    }

    private string ProcessExit()
    {
        var process = _process;
        return process is { HasExited: true } ? $"; the Box process exited with code {process.ExitCode}" : "";
    }

    private TimeSpan Backoff(int failures)
    {
        var baseDelay = _options.ReconnectInitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20));
        var capped = Math.Min(baseDelay, _options.ReconnectMaxDelay.TotalMilliseconds);
        var jitter = 1 + ((Random.Shared.NextDouble() * 0.4) - 0.2);
        return TimeSpan.FromMilliseconds(Math.Max(1, capped * jitter));
    }

    private void SetStatus(BoxConnectionState state, string? reason, string? backend, string? relay, int? reconnects = null)
    {
        lock (_gate)
        {
            _status = new BoxConnectionStatus(state, reason, backend, relay, DateTimeOffset.UtcNow, reconnects ?? _status.Reconnects);
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException missing => missing.Message,
        JsonRpcException rpc => $"The Box refused the connection: {rpc.Message}",
        JsonRpcConnectionLostException lost => $"The Box went away while connecting ({lost.Reason}).",
        OperationCanceledException or TimeoutException => "The Box did not answer box/hello in time.",
        WebSocketException socket => $"Cannot reach the remote Box: {socket.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
