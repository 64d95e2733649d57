using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Runtime.Supervision;

/// <summary>Thrown when a plugin cannot be started; <see cref="IsPermanent"/> failures are not retried.</summary>
public sealed class PluginStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PluginStartException(string message, bool isPermanent, Exception? innerException = null)
        : base(message, innerException)
    {
        IsPermanent = isPermanent;
    }

    /// <summary>Whether restarting cannot help (e.g. a protocol version mismatch or a wrong plugin id).</summary>
    public bool IsPermanent { get; }
}

/// <summary>Why a running plugin instance stopped.</summary>
internal enum InstanceEnd
{
    Exited,
    ConnectionLost,
    Unresponsive,
    StopRequested,
}

/// <summary>One started plugin process with its JSON-RPC connection over stdio.</summary>
internal sealed class PluginProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _stderrPump;
    private readonly Task _exited;
    private readonly ILogger _logger;

    private PluginProcess(Process process, JsonRpcConnection connection, StderrCapture stderr, ILogger logger)
    {
        _process = process;
        ProcessId = process.Id;
        Connection = connection;
        _logger = logger;
        _stderrPump = stderr.PumpAsync(process.StandardError);
        _exited = process.WaitForExitAsync();
    }

    public JsonRpcConnection Connection { get; }

    public InitializeResult? Handshake { get; private set; }

    public int ProcessId { get; }

    public bool HasExited => _exited.IsCompleted;

    public string ExitDescription => _process.HasExited
        ? string.Create(CultureInfo.InvariantCulture, $"exit code {_process.ExitCode}")
        : "still running";

    /// <summary>Starts the process, connects, and completes the <c>initialize</c> handshake.</summary>
    public static async Task<PluginProcess> StartAsync(
        PluginLaunchSpec spec,
        SupervisorOptions options,
        JsonRpcConnectionOptions rpcOptions,
        StderrCapture stderr,
        Action<JsonRpcConnection> registerRuntimeApi,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        BuildEnvironment(startInfo.Environment, spec, options);

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new PluginStartException($"Could not start '{spec.FileName}'.", isPermanent: false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PluginStartException($"Could not start '{spec.FileName}' for plugin {spec.Id}: {ex.Message}. Check the manifest's execution command and that it is installed and on PATH.", isPermanent: true, ex);
        }

        var transport = new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, rpcOptions.MaxMessageSize);
        var connection = new JsonRpcConnection(transport, rpcOptions, logger);
        var instance = new PluginProcess(process, connection, stderr, logger);
        registerRuntimeApi(connection);
        connection.AddMethod<JsonElement, Empty>(PluginMethods.Ping, _ => Empty.Instance);
        connection.Start();
        try
        {
            await instance.HandshakeAsync(spec, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await instance.KillAsync().ConfigureAwait(false);
            throw;
        }

        return instance;
    }

    /// <summary>Waits until the process exits, the connection breaks, a ping goes unanswered, or <paramref name="stop"/> fires.</summary>
    public async Task<(InstanceEnd End, string Reason)> MonitorAsync(SupervisorOptions options, CancellationToken stop)
    {
        while (true)
        {
            var delay = Task.Delay(options.PingInterval, stop);
            var first = await Task.WhenAny(_exited, Connection.Completion, delay).ConfigureAwait(false);
            if (stop.IsCancellationRequested)
            {
                return (InstanceEnd.StopRequested, "stop requested");
            }

            if (first == _exited)
            {
                // Let the reader drain what the process wrote before it died.
                await Task.WhenAny(Connection.Completion, Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
                return (InstanceEnd.Exited, $"the process exited unexpectedly ({ExitDescription})");
            }

            if (first == Connection.Completion)
            {
                var end = await Connection.Completion.ConfigureAwait(false);
                return (InstanceEnd.ConnectionLost, $"its connection ended ({end.Reason}: {end.Description})");
            }

            try
            {
                await Connection.InvokeAsync<Empty>(PluginMethods.Ping, null, options.PingTimeout, stop).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return (InstanceEnd.Unresponsive, string.Create(CultureInfo.InvariantCulture, $"it did not answer $/ping within {options.PingTimeout.TotalMilliseconds:0} ms"));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return (InstanceEnd.StopRequested, "stop requested");
            }
            catch (Exception ex) when (ex is JsonRpcConnectionLostException or JsonRpcException)
            {
                // The connection ended or the plugin answered the ping with an error; the next loop looks at why.
                if (Connection.IsDisconnected)
                {
                    continue;
                }
            }
        }
    }

    /// <summary>Graceful stop: <c>shutdown</c> → <c>exit</c> → close stdin → wait → kill the process tree.</summary>
    public async Task StopAsync(SupervisorOptions options)
    {
        var deadline = new CancellationTokenSource(options.ShutdownTimeout);
        try
        {
            if (!Connection.IsDisconnected && !HasExited)
            {
                await Connection.InvokeAsync<JsonElement>(PluginMethods.Shutdown, null, options.ShutdownTimeout, deadline.Token).ConfigureAwait(false);
                await Connection.NotifyAsync(PluginMethods.Exit, null, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or JsonRpcException or JsonRpcConnectionLostException)
        {
            // Not answering shutdown is handled below by closing stdin and, if need be, killing the tree.
        }

        try
        {
            await Connection.CloseAsync(deadline.Token).ConfigureAwait(false);
            await _exited.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            RuntimeLog.KilledOnShutdown(_logger, Handshake?.PluginId ?? "?", (long)options.ShutdownTimeout.TotalMilliseconds);
        }
        finally
        {
            deadline.Dispose();
        }

        await KillAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the whole process tree and releases everything.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_exited, _stderrPump), Task.Delay(2000)).ConfigureAwait(false);
        _process.Dispose();
    }

    private static void BuildEnvironment(IDictionary<string, string?> environment, PluginLaunchSpec spec, SupervisorOptions options)
    {
        var inherited = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in options.EnvironmentAllowlist)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                inherited[name] = value;
            }
        }

        environment.Clear();
        foreach (var (name, value) in inherited)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in spec.Environment)
        {
            environment[name] = value;
        }

        environment[PluginEnvironment.PluginId] = spec.Id;
        environment[PluginEnvironment.RuntimePid] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        environment[PluginEnvironment.DataDirectory] = spec.DataDirectory;
        environment[PluginEnvironment.ProtocolVersions] = string.Join(',', ProtocolVersions.Supported);
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
    }

    private async Task HandshakeAsync(PluginLaunchSpec spec, SupervisorOptions options, CancellationToken cancellationToken)
    {
        var parameters = new InitializeParams(ProtocolVersions.Supported, new PeerInfo("plugboard", RuntimeInfo.Version), spec.Id, spec.Config, spec.DataDirectory, spec.Manifest);
        InitializeResult result;
        try
        {
            result = await Connection.InvokeAsync<InitializeResult>(PluginMethods.Initialize, parameters, options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new PluginStartException(string.Create(CultureInfo.InvariantCulture, $"Plugin {spec.Id} did not answer 'initialize' within {options.ReadyTimeout.TotalSeconds:0.#} s (ReadyTimeout). It must read Content-Length framed JSON-RPC on stdin and answer on stdout."), isPermanent: false, ex);
        }
        catch (JsonRpcException ex) when (ex.Code == PlugboardErrorCodes.ProtocolVersionMismatch)
        {
            throw new PluginStartException($"Plugin {spec.Id} speaks no protocol version the runtime speaks ({string.Join(", ", ProtocolVersions.Supported)}): {ex.Message}", isPermanent: true, ex);
        }
        catch (JsonRpcException ex)
        {
            throw new PluginStartException($"Plugin {spec.Id} rejected 'initialize' with error {ex.Code}: {ex.Message}", isPermanent: ex.Code == PlugboardErrorCodes.ConfigInvalid, ex);
        }
        catch (JsonRpcConnectionLostException ex)
        {
            throw new PluginStartException($"Plugin {spec.Id} went away during the handshake ({ex.Reason}): {ex.Message}", isPermanent: false, ex);
        }

        if (!ProtocolVersions.Supported.Contains(result.ProtocolVersion))
        {
            throw new PluginStartException($"Plugin {spec.Id} picked protocol version '{result.ProtocolVersion}', but the runtime speaks {string.Join(", ", ProtocolVersions.Supported)}. Update the plugin's SDK or the runtime.", isPermanent: true);
        }

        if (!string.Equals(result.PluginId, spec.Id, StringComparison.Ordinal))
        {
            throw new PluginStartException($"The process started for plugin {spec.Id} says it is '{result.PluginId}'. Fix the id in plugin.json or in the plugin's code.", isPermanent: true);
        }

        Handshake = result;
        await Connection.NotifyAsync(PluginMethods.Initialized, Empty.Instance, cancellationToken).ConfigureAwait(false);
    }
}
