using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Plugboard.Cli.Commands;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Control;
using Plugboard.Cli.Server;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Cli.Client;

/// <summary>Where a command finds the running runtime and its control token.</summary>
/// <param name="Url">The control endpoint.</param>
/// <param name="Token">The control token.</param>
/// <param name="TokenSource">Where the token came from, for error messages.</param>
/// <param name="DataDirectory">The data folder, when known.</param>
internal sealed record ControlTarget(Uri Url, string Token, string TokenSource, string? DataDirectory)
{
    /// <summary>The environment variable that may carry the control token (instead of the token file).</summary>
    public const string TokenVariable = "PLUGBOARD_CONTROL_TOKEN";

    /// <summary>
    /// Finds the runtime: <paramref name="url"/> if given, else the <c>runtime.json</c> that <c>plugboard run</c> wrote into
    /// the data folder; the token from <paramref name="tokenFile"/>, <see cref="TokenVariable"/>, or control:tokenFile.
    /// </summary>
    public static ControlTarget Resolve(PlugboardSettings settings, string? url, string? tokenFile)
    {
        Uri endpoint;
        if (url is not null)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("ws" or "wss"))
            {
                throw new CliException(ExitCodes.Usage, $"--url must be a ws:// or wss:// URL such as ws://127.0.0.1:{ControlSettings.DefaultPort}/control (got '{url}').");
            }

            endpoint = parsed;
        }
        else
        {
            endpoint = new Uri(ReadInfoFile(settings).ControlUrl);
        }

        if (tokenFile is not null)
        {
            return new ControlTarget(endpoint, ReadToken(tokenFile, "--token-file"), tokenFile, settings.DataDirectory);
        }

        if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token)
        {
            return new ControlTarget(endpoint, token, $"the {TokenVariable} environment variable", settings.DataDirectory);
        }

        return new ControlTarget(endpoint, ReadToken(settings.Control.TokenFile, "control:tokenFile"), settings.Control.TokenFile, settings.DataDirectory);
    }

    /// <summary>Reads <c>runtime.json</c> and checks that the process that wrote it is alive.</summary>
    public static RuntimeInfoFile ReadInfoFile(PlugboardSettings settings)
    {
        RuntimeInfoFile? info;
        try
        {
            info = JsonSerializer.Deserialize(File.ReadAllText(settings.RuntimeInfoFile), CliJsonContext.Default.RuntimeInfoFile);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.RuntimeUnavailable, $"No Plugboard runtime is running with the data folder {settings.DataDirectory}. Start one with `plugboard run`, or point at the right one with --data-dir, --config or --url.", ex);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.RuntimeUnavailable, $"Cannot read {settings.RuntimeInfoFile} ({ex.Message}). Restart the runtime with `plugboard run`.", ex);
        }

        if (info is null || !IsAlive(info.ProcessId))
        {
            throw new CliException(ExitCodes.RuntimeUnavailable, $"The runtime that wrote {settings.RuntimeInfoFile} (pid {info?.ProcessId}) is no longer running. Start it again with `plugboard run`.");
        }

        return info;
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string ReadToken(string path, string setting)
    {
        try
        {
            return TokenFile.Read(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.Unauthorized, $"The control token file {path} ({setting}) does not exist. `plugboard run` creates it on first start; on another machine, copy the token and pass --token-file or set {TokenVariable}.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CliException(ExitCodes.Unauthorized, $"Cannot read the control token file {path}: it belongs to another user (mode 0600). Run as the user that runs the runtime.", ex);
        }
    }
}

/// <summary>A JSON-RPC client of the control endpoint, mapping errors to exit codes and next steps.</summary>
internal sealed class ControlClient : IAsyncDisposable
{
    private readonly JsonRpcConnection _connection;
    private readonly ControlTarget _target;

    private ControlClient(JsonRpcConnection connection, ControlTarget target)
    {
        _connection = connection;
        _target = target;
    }

    /// <summary>The underlying connection (for notification handlers and progress).</summary>
    public JsonRpcConnection Connection => _connection;

    /// <summary>Connects; <paramref name="configure"/> registers notification handlers before the connection starts.</summary>
    public static async Task<ControlClient> ConnectAsync(ControlTarget target, CancellationToken cancellationToken, Action<JsonRpcConnection>? configure = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + target.Token);
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(target.Url, timeout.Token).ConfigureAwait(false);
        }
        catch (WebSocketException ex)
        {
            var status = socket.HttpStatusCode;
            var detail = socket.HttpResponseHeaders?.TryGetValue(EndpointAuth.ErrorHeader, out var values) == true ? values.FirstOrDefault() : null;
            socket.Dispose();
            throw status switch
            {
                HttpStatusCode.Unauthorized => new CliException(ExitCodes.Unauthorized, $"The runtime at {target.Url} rejected the control token from {target.TokenSource}. {detail ?? "Use the token of that runtime."}", ex),
                0 => new CliException(ExitCodes.RuntimeUnavailable, $"No Plugboard runtime answers at {target.Url} ({Describe(ex)}). Start one with `plugboard run`, or check --data-dir/--url.", ex),
                _ => new CliException(ExitCodes.RuntimeUnavailable, $"{target.Url} answered HTTP {(int)status} instead of opening the control WebSocket{(detail is null ? string.Empty : ": " + detail)}. Is this a Plugboard runtime?", ex),
            };
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new CliException(ExitCodes.RuntimeUnavailable, $"The runtime at {target.Url} did not accept the connection within 10 s. Is it overloaded or stopping?", ex);
        }

        var connection = new JsonRpcConnection(new WebSocketTransport(socket), CliJsonContext.CreateConnectionOptions(64 * 1024 * 1024, 64));
        configure?.Invoke(connection);
        connection.Start();
        return new ControlClient(connection, target);
    }

    /// <summary>Calls a control method.</summary>
    public async Task<T> CallAsync<T>(string method, object? parameters, CancellationToken cancellationToken)
    {
        try
        {
            return await _connection.InvokeAsync<T>(method, parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            throw new CliException(ExitCodeFor(ex.Code), ex.Message, ex);
        }
        catch (JsonRpcConnectionLostException ex)
        {
            throw new CliException(ExitCodes.RuntimeUnavailable, $"The connection to the runtime at {_target.Url} ended ({ex.Message}). Did the runtime stop?", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _connection.CloseAsync(timeout.Token).ConfigureAwait(false);
    }

    private static int ExitCodeFor(int code) => code switch
    {
        PlugboardErrorCodes.PluginNotFound or PlugboardErrorCodes.ToolNotFound or PlugboardErrorCodes.CommandNotFound => ExitCodes.NotFound,
        JsonRpcErrorCodes.InvalidParams or PlugboardErrorCodes.ToolArgumentsInvalid => ExitCodes.Usage,
        _ => ExitCodes.Failed,
    };

    private static string Describe(WebSocketException ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socketError)
            {
                return socketError.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : socketError.Message;
            }
        }

        return ex.Message;
    }
}
