using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Mcp;

/// <summary>
/// Where one instance of a hosted MCP server lives, and how the official client reaches it: a process on the host, a
/// Box managed process, or a remote Streamable HTTP endpoint. Owns the process (not the client).
/// </summary>
internal abstract class McpEndpoint : IAsyncDisposable
{
    /// <summary>The transport the official client connects with.</summary>
    public abstract IClientTransport Transport { get; }

    /// <summary>The process id, when the server runs on the host.</summary>
    public virtual int? ProcessId => null;

    /// <summary>Completes when the server's process (or relay) is gone; never for remote endpoints.</summary>
    public abstract Task Exited { get; }

    /// <summary>Why <see cref="Exited"/> completed (exit code, relay closed).</summary>
    public abstract string ExitDescription { get; }

    /// <summary>Graceful stop after the client is disposed: close stdin, wait up to <paramref name="grace"/>, then kill the tree.</summary>
    /// <returns>Whether the process had to be killed.</returns>
    public abstract Task<bool> StopAsync(TimeSpan grace);

    /// <summary>Kills at once (crashes, unresponsive servers) and releases everything.</summary>
    public abstract Task KillAsync();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await KillAsync().ConfigureAwait(false);
}

/// <summary>A stdio MCP server started on the runtime's machine, with an allowlisted environment and drained stderr.</summary>
internal sealed class McpHostProcess : McpEndpoint
{
    private readonly Process _process;
    private readonly Task _exited;
    private readonly Task _stderrPump;
    private int _killed;

    private McpHostProcess(Process process, StderrCapture stderr, ILoggerFactory loggers)
    {
        _process = process;
        ProcessId = process.Id;
        _exited = process.WaitForExitAsync();
        _stderrPump = stderr.PumpAsync(process.StandardError);
        Transport = new StreamClientTransport(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, loggers);
    }

    public override IClientTransport Transport { get; }

    public override int? ProcessId { get; }

    public override Task Exited => _exited;

    public override string ExitDescription => _process.HasExited
        ? string.Create(CultureInfo.InvariantCulture, $"exit code {_process.ExitCode}")
        : "still running";

    /// <summary>Starts the server's process.</summary>
    /// <exception cref="McpStartException">The command cannot be started (permanent: fix the definition).</exception>
    public static McpHostProcess Start(McpServerDefinition definition, string workingDirectory, SupervisorOptions options, StderrCapture stderr, ILoggerFactory loggers)
    {
        Directory.CreateDirectory(workingDirectory);
        var startInfo = new ProcessStartInfo(definition.Command!)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in definition.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        BuildEnvironment(startInfo.Environment, definition, options);
        try
        {
            var process = Process.Start(startInfo) ?? throw new McpStartException($"Could not start '{definition.Command}'.", isPermanent: false);
            return new McpHostProcess(process, stderr, loggers);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new McpStartException($"Could not start '{definition.Command}' for MCP server {definition.Name}: {ex.Message}. Check the command and that it is installed and on PATH (e.g. npx comes with Node.js).", isPermanent: true, ex);
        }
    }

    public override async Task<bool> StopAsync(TimeSpan grace)
    {
        try
        {
            // The server sees end of input and exits by itself (the MCP stdio shutdown sequence).
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }

        var killed = false;
        try
        {
            await _exited.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            killed = true;
        }

        await KillAsync().ConfigureAwait(false);
        return killed;
    }

    public override async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 1)
        {
            return;
        }

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

        await Task.WhenAny(Task.WhenAll(_exited, _stderrPump), Task.Delay(2000)).ConfigureAwait(false);
        _process.Dispose();
    }

    private static void BuildEnvironment(IDictionary<string, string?> environment, McpServerDefinition definition, SupervisorOptions options)
    {
        var inherited = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in options.EnvironmentAllowlist)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                inherited[name] = value;
            }
        }

        environment.Clear();
        foreach (var (name, value) in inherited)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in definition.Environment)
        {
            environment[name] = value;
        }
    }
}

/// <summary>A server reached over Streamable HTTP; nothing to start or stop.</summary>
internal sealed class McpRemoteEndpoint : McpEndpoint
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public McpRemoteEndpoint(McpServerDefinition definition, ILoggerFactory loggers)
    {
        var options = new HttpClientTransportOptions
        {
            Endpoint = new Uri(definition.Url!),
            Name = definition.Name,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string>(definition.Headers, StringComparer.OrdinalIgnoreCase),
        };
        Transport = new HttpClientTransport(options, loggers);
    }

    public override IClientTransport Transport { get; }

    public override Task Exited => _closed.Task;

    public override string ExitDescription => "the HTTP session ended";

    public override async Task<bool> StopAsync(TimeSpan grace)
    {
        await KillAsync().ConfigureAwait(false);
        return false;
    }

    public override async Task KillAsync()
    {
        _closed.TrySetResult();
        if (Transport is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Thrown when an MCP server cannot be started or connected; <see cref="IsPermanent"/> failures are not retried.</summary>
internal sealed class McpStartException(string message, bool isPermanent, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>Whether restarting cannot help (e.g. the command does not exist).</summary>
    public bool IsPermanent { get; } = isPermanent;

    /// <summary>Whether the server answered the handshake but the protocol negotiation failed (another version may work).</summary>
    public bool NegotiationFailed { get; init; }

    /// <summary>
    /// Whether the failure counts against the crash budget. False when the place the server runs in is away for now (the
    /// Box reconnecting): the supervisor keeps retrying with backoff until it is back.
    /// </summary>
    public bool CountsAsCrash { get; init; } = true;
}
