using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Box.Docker;

/// <summary>
/// A small typed client of the Docker Engine API 1.41 over the daemon's unix socket: HttpClient with a
/// <see cref="SocketsHttpHandler.ConnectCallback"/> for ordinary calls, and an HTTP/1.1 upgrade (<c>Connection: Upgrade</c>,
/// <c>Upgrade: tcp</c> → <c>101 UPGRADED</c>) on a connection of its own for the hijacked exec stream, so stdin can be
/// written and half-closed while stdout/stderr are read. Only the calls the Box needs; tested against the real engine.
/// </summary>
internal sealed class DockerEngineClient : IDisposable
{
    public const string ApiVersion = "1.41";
    private const string Prefix = "/v" + ApiVersion;
    private static readonly Uri BaseAddress = new("http://docker");
    private readonly HttpClient _http;

    public DockerEngineClient(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, cancellationToken) => ConnectAsync(socketPath, null, cancellationToken),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseProxy = false,
        };
        _http = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("/_ping", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "ping", cancellationToken).ConfigureAwait(false);
    }

    public Task<VersionResponse> VersionAsync(CancellationToken cancellationToken)
        => GetAsync(Prefix + "/version", DockerJsonContext.Default.VersionResponse, "version", cancellationToken);

    public Task<InfoResponse> InfoAsync(CancellationToken cancellationToken)
        => GetAsync(Prefix + "/info", DockerJsonContext.Default.InfoResponse, "info", cancellationToken);

    public async Task<string> CreateContainerAsync(string? name, ContainerCreateRequest body, CancellationToken cancellationToken)
    {
        var path = Prefix + "/containers/create" + (name is null ? "" : "?name=" + Uri.EscapeDataString(name));
        using var response = await _http.PostAsync(path, Json(body, DockerJsonContext.Default.ContainerCreateRequest), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "create container", cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(response, DockerJsonContext.Default.IdResponse, cancellationToken).ConfigureAwait(false)).Id;
    }

    public async Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"{Prefix}/containers/{Escape(id)}/start", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NotModified)
        {
            await EnsureSuccessAsync(response, "start container", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Inspects a container; null when it does not exist.</summary>
    public async Task<ContainerInspect?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"{Prefix}/containers/{Escape(id)}/json", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "inspect container", cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, DockerJsonContext.Default.ContainerInspect, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Force-removes a container (killing it first) with its anonymous volumes; false when it did not exist.</summary>
    public async Task<bool> RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync($"{Prefix}/containers/{Escape(id)}?force=true&v=true", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        // 409 "removal already in progress" means someone else is removing it: done as far as we are concerned.
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return true;
        }

        await EnsureSuccessAsync(response, "remove container", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Lists containers (running or not) carrying every given label (<c>key</c> or <c>key=value</c>).</summary>
    public async Task<List<ContainerSummary>> ListContainersAsync(IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        var filters = new Dictionary<string, List<string>> { ["label"] = [.. labels] };
        var json = JsonSerializer.Serialize(filters, DockerJsonContext.Default.DictionaryStringListString);
        return await GetAsync($"{Prefix}/containers/json?all=true&filters={Uri.EscapeDataString(json)}", DockerJsonContext.Default.ListContainerSummary, "list containers", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a network with that name or id exists.</summary>
    public async Task<bool> NetworkExistsAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"{Prefix}/networks/{Escape(name)}", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, "inspect network", cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task UpdateContainerAsync(string id, ContainerUpdateRequest body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"{Prefix}/containers/{Escape(id)}/update", Json(body, DockerJsonContext.Default.ContainerUpdateRequest), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "update container", cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> CreateExecAsync(string containerId, ExecCreateRequest body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"{Prefix}/containers/{Escape(containerId)}/exec", Json(body, DockerJsonContext.Default.ExecCreateRequest), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "create exec", cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(response, DockerJsonContext.Default.IdResponse, cancellationToken).ConfigureAwait(false)).Id;
    }

    /// <summary>
    /// Starts an exec attached, over a connection of its own upgraded to a raw stream. The stream carries the
    /// multiplexed stdout/stderr frames (the exec is created without a TTY) and accepts raw stdin bytes;
    /// <see cref="HijackedStream.CloseStdin"/> half-closes the socket so the process sees end of input.
    /// </summary>
    public async Task<HijackedStream> StartExecAsync(string execId, CancellationToken cancellationToken)
    {
        var holder = new SocketHolder();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, ct) => ConnectAsync(SocketPath, holder, ct),
            UseProxy = false,
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        HttpResponseMessage? response = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{Prefix}/exec/{Escape(execId)}/start")
            {
                Content = Json(new ExecStartRequest(Detach: false, Tty: false), DockerJsonContext.Default.ExecStartRequest),
            };
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new ProductHeaderValue("tcp"));
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
            {
                await EnsureSuccessAsync(response, "start exec", cancellationToken).ConfigureAwait(false);
                throw new DockerApiException((int)response.StatusCode, $"start exec: the engine answered {(int)response.StatusCode} instead of upgrading the connection.");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var socket = holder.Socket ?? throw new InvalidOperationException("The upgraded connection's socket was not captured.");
            return new HijackedStream(stream, socket, response, client);
        }
        catch
        {
            response?.Dispose();
            client.Dispose();
            throw;
        }
    }

    /// <summary>Inspects an exec; null when it does not exist (any more).</summary>
    public async Task<ExecInspect?> InspectExecAsync(string execId, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"{Prefix}/exec/{Escape(execId)}/json", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "inspect exec", cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, DockerJsonContext.Default.ExecInspect, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private static async ValueTask<Stream> ConnectAsync(string socketPath, SocketHolder? holder, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (holder is not null)
        {
            holder.Socket = socket;
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, string operation, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, info, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(stream, info, cancellationToken).ConfigureAwait(false)
            ?? throw new DockerApiException((int)response.StatusCode, "The engine answered with an empty body.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string message;
        try
        {
            message = JsonSerializer.Deserialize(body, DockerJsonContext.Default.ErrorResponse)?.Message ?? body;
        }
        catch (JsonException)
        {
            message = body;
        }

        throw new DockerApiException((int)response.StatusCode, $"{operation}: {message.Trim()}");
    }

    private static StringContent Json<T>(T value, JsonTypeInfo<T> info)
        => new(JsonSerializer.Serialize(value, info), Encoding.UTF8, "application/json");

    private static string Escape(string id) => Uri.EscapeDataString(id);

    private sealed class SocketHolder
    {
        public Socket? Socket { get; set; }
    }
}

/// <summary>An error answer of the Docker engine.</summary>
internal sealed class DockerApiException(int statusCode, string message) : Exception(message)
{
    /// <summary>The HTTP status code (404 no such container/image/exec, 409 conflict, 500 server error, ...).</summary>
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// The raw duplex stream of an upgraded (hijacked) exec connection. Reads return the multiplexed output; writes go
/// to the process's stdin; <see cref="CloseStdin"/> half-closes the socket.
/// </summary>
internal sealed class HijackedStream : Stream
{
    private readonly Stream _inner;
    private readonly Socket _socket;
    private readonly HttpResponseMessage _response;
    private readonly HttpClient _client;
    private int _disposed;

    public HijackedStream(Stream inner, Socket socket, HttpResponseMessage response, HttpClient client)
    {
        _inner = inner;
        _socket = socket;
        _response = response;
        _client = client;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Sends end-of-file to the process's stdin; output can still be read.</summary>
    public void CloseStdin()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is already gone; the process has its EOF.
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            _response.Dispose();
            _client.Dispose();
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }
}
