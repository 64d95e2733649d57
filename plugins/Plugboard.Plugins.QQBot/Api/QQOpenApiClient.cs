using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Auth;
using Plugboard.Plugins.QQBot.Configuration;

namespace Plugboard.Plugins.QQBot.Api;

/// <summary>
/// The QQ OpenAPI v2 over HTTP: <c>Authorization: QQBot {token}</c> on every call, one retry with a fresh token when
/// the token is rejected, retries with backoff (or the server's Retry-After) on rate limits, and every failure turned
/// into a <see cref="QQApiException"/> carrying the platform's status, code, message and trace id.
/// </summary>
internal sealed class QQOpenApiClient
{
    /// <summary>The response header carrying the platform's trace id.</summary>
    public const string TraceIdHeader = "X-Tps-trace-Id";

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly QQBotConfig _config;
    private readonly HttpClient _http;
    private readonly AccessTokenProvider _tokens;
    private readonly ILogger _logger;

    public QQOpenApiClient(QQBotConfig config, HttpClient http, AccessTokenProvider tokens, ILogger logger)
    {
        _config = config;
        _http = http;
        _tokens = tokens;
        _logger = logger;
    }

    /// <summary><c>GET /gateway/bot</c>: the gateway URL and the session-start limit.</summary>
    public async Task<GatewayInfo> GetGatewayBotAsync(CancellationToken cancellationToken)
    {
        var root = await CallAsync(HttpMethod.Get, "/gateway/bot", null, cancellationToken).ConfigureAwait(false);
        var url = QQJson.String(root, "url") ?? throw new QQApiException(QQErrorKind.Platform, "QQ API GET /gateway/bot answered without a url.", 200, endpoint: "GET /gateway/bot");
        var limit = QQJson.Object(root, "session_start_limit");
        return new GatewayInfo(
            url,
            (int)(QQJson.Long(root, "shards") ?? 1),
            (int)(limit is { } l1 ? QQJson.Long(l1, "total") ?? 1000 : 1000),
            (int)(limit is { } l2 ? QQJson.Long(l2, "remaining") ?? 1000 : 1000),
            TimeSpan.FromMilliseconds(limit is { } l3 ? QQJson.Long(l3, "reset_after") ?? 0 : 0),
            Math.Max(1, (int)(limit is { } l4 ? QQJson.Long(l4, "max_concurrency") ?? 1 : 1)));
    }

    /// <summary>Calls an OpenAPI endpoint with an optional JSON body; returns the JSON answer (an empty object for an empty body).</summary>
    public Task<JsonElement> CallAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
        => SendAsync(method, path, () => body is null ? null : Json(body), cancellationToken);

    /// <summary>Calls an OpenAPI endpoint with a multipart body (guild image uploads: <c>file_image</c>).</summary>
    public Task<JsonElement> CallMultipartAsync(string path, IReadOnlyDictionary<string, string> fields, byte[] file, string fileName, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, path, () =>
        {
            var content = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
            {
                content.Add(new StringContent(value), name);
            }

            var part = new ByteArrayContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "file_image", fileName);
            return content;
        }, cancellationToken);

    /// <summary>PUTs bytes to a pre-signed URL (chunked upload parts); no authorization header.</summary>
    public async Task PutBytesAsync(string url, byte[] data, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(data) };
        using var response = await SendRawAsync(request, "PUT (pre-signed part URL)", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new QQApiException(QQErrorKind.Platform, string.Create(CultureInfo.InvariantCulture, $"Uploading a part to the pre-signed URL failed: HTTP {(int)response.StatusCode} {Truncate(text)}."), (int)response.StatusCode, endpoint: "PUT (pre-signed part URL)");
        }
    }

    private static ByteArrayContent Json(JsonNode body)
    {
        var content = new ByteArrayContent(QQJson.Utf8(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, Func<HttpContent?> content, CancellationToken cancellationToken)
    {
        var endpoint = $"{method.Method} {path}";
        var tokenRetried = false;
        var rateRetries = 0;
        while (true)
        {
            var token = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, _config.EffectiveApiBaseUrl + path) { Content = content() };
            request.Headers.Authorization = new AuthenticationHeaderValue("QQBot", token);
            request.Headers.TryAddWithoutValidation("X-Union-Appid", _config.AppId);
            using var response = await SendRawAsync(request, endpoint, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var text = response.Content is null ? string.Empty : await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var root = Parse(text);
            var code = QQJson.Long(root, "code") ?? QQJson.Long(root, "err_code");
            var traceId = response.Headers.TryGetValues(TraceIdHeader, out var values) ? values.FirstOrDefault() : QQJson.String(root, "trace_id");
            if (response.IsSuccessStatusCode && code is null or 0 or QQErrorCodes.PendingAuditPush or QQErrorCodes.PendingAuditReply)
            {
                if (code is QQErrorCodes.PendingAuditPush or QQErrorCodes.PendingAuditReply)
                {
                    Log.PendingAudit(_logger, _config.AppId, endpoint, code.Value, traceId);
                }

                return root;
            }

            var message = QQJson.String(root, "message") ?? QQJson.String(root, "msg") ?? (root.ValueKind == JsonValueKind.Object ? null : Truncate(text));
            if (!tokenRetried && QQErrorCodes.IsTokenRejected(status, code))
            {
                tokenRetried = true;
                _tokens.Invalidate(token);
                Log.TokenRejected(_logger, _config.AppId, endpoint, status, code);
                continue;
            }

            if (QQErrorCodes.IsRateLimit(status, code) && rateRetries < _config.RateLimitRetries)
            {
                var delay = RetryDelay(response, rateRetries);
                rateRetries++;
                Log.RateLimited(_logger, _config.AppId, endpoint, status, code, delay, rateRetries, _config.RateLimitRetries);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var error = QQApiException.FromResponse(endpoint, status, code, message, traceId);
            Log.ApiFailed(_logger, _config.AppId, endpoint, status, code, message, traceId);
            throw error;
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, string endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_config.RequestTimeout);
        try
        {
            return await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var what = ex is OperationCanceledException ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_config.RequestTimeout.TotalSeconds:0.#} s") : ex.Message;
            throw new QQApiException(QQErrorKind.Network, $"QQ API {endpoint} could not be reached: {what}. {QQErrorCodes.Advice(QQErrorKind.Network, null)}", endpoint: endpoint, innerException: ex);
        }
    }

    private TimeSpan RetryDelay(HttpResponseMessage response, int retry)
    {
        if (response.Headers.RetryAfter is { } after)
        {
            var delta = after.Delta ?? (after.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            if (delta is { } d && d > TimeSpan.Zero)
            {
                return d < TimeSpan.FromMinutes(1) ? d : TimeSpan.FromMinutes(1);
            }
        }

        return _config.RateLimitBaseDelay * Math.Pow(2, retry);
    }

    private static JsonElement Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return EmptyObject;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>Creates the HTTP client of one bot, with its own connection pool and proxy.</summary>
    public static HttpClient CreateHttpClient(IWebProxy? proxy)
    {
        var handler = new SocketsHttpHandler
        {
            Proxy = proxy,
            UseProxy = proxy is not null,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Plugboard-QQBot/1.0");
        return client;
    }
}
