using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Configuration;

namespace Plugboard.Plugins.QQBot.Auth;

/// <summary>
/// The bot's access token: fetched from the token endpoint with the app id and secret, cached, refreshed ahead of
/// expiry and refetched when the platform rejects it. Concurrent callers share one fetch. Neither the secret nor the
/// token is ever logged or put into an exception message.
/// </summary>
internal sealed class AccessTokenProvider : IDisposable
{
    /// <summary>How long before expiry a token is replaced (the platform issues a new one only in a token's last 60 s).</summary>
    public static readonly TimeSpan RefreshAhead = TimeSpan.FromSeconds(50);

    private readonly QQBotConfig _config;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Token? _current;
    private int _fetches;

    public AccessTokenProvider(QQBotConfig config, HttpClient http, TimeProvider time, ILogger logger)
    {
        _config = config;
        _http = http;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many tokens were fetched so far.</summary>
    public int FetchCount => Volatile.Read(ref _fetches);

    /// <summary>When the current token expires, if one is cached.</summary>
    public DateTimeOffset? ExpiresAt => _current?.ExpiresAt;

    /// <summary>A valid token, fetched if none is cached or the cached one is due for refresh.</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is not null && _time.GetUtcNow() < current.RefreshAt)
        {
            return current.Value;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _current;
            if (current is not null && _time.GetUtcNow() < current.RefreshAt)
            {
                return current.Value;
            }

            return (await FetchAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="rejected"/> (if it is still the cached token) so the next call fetches a new one.</summary>
    public void Invalidate(string rejected)
    {
        if (_current is { } current && current.Value == rejected)
        {
            _current = null;
            Log.TokenInvalidated(_logger, _config.AppId);
        }
    }

    /// <summary>Fetches a new token now, whatever is cached; returns its expiry.</summary>
    public async Task<DateTimeOffset> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (await FetchAsync(cancellationToken).ConfigureAwait(false)).ExpiresAt;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Token> FetchAsync(CancellationToken cancellationToken)
    {
        var endpoint = "POST " + _config.TokenUrl;
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["appId"] = _config.AppId, ["clientSecret"] = _config.ClientSecret }, QQJsonContext.Default.DictionaryStringString);
        using var request = new HttpRequestMessage(HttpMethod.Post, _config.TokenUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_config.RequestTimeout);
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new QQApiException(QQErrorKind.Network, $"Cannot reach the QQ token endpoint {_config.TokenUrl} for app {_config.AppId}: {ex.Message}. {QQErrorCodes.Advice(QQErrorKind.Network, null)}", endpoint: endpoint, innerException: ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            string? token = null;
            TimeSpan? lifetime = null;
            long? code = null;
            string? message = null;
            try
            {
                using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    token = root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                    lifetime = ReadLifetime(root);
                    code = QQJson.Long(root, "code");
                    message = QQJson.String(root, "message") ?? QQJson.String(root, "msg");
                }
            }
            catch (JsonException)
            {
                message = text.Length > 200 ? text[..200] : text;
            }

            if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(token) || lifetime is null)
            {
                var detail = new StringBuilder();
                detail.Append(CultureInfo.InvariantCulture, $"The QQ token endpoint refused app {_config.AppId}: HTTP {(int)response.StatusCode}");
                if (code is { } c)
                {
                    detail.Append(CultureInfo.InvariantCulture, $", code {c}");
                }

                detail.Append(CultureInfo.InvariantCulture, $", \"{message ?? "no access_token/expires_in in the answer"}\". {QQErrorCodes.Advice((int)response.StatusCode >= 500 ? QQErrorKind.Platform : QQErrorKind.Authentication, code)}");
                // A 5xx is the platform's trouble, not a verdict on the credentials.
                var kind = (int)response.StatusCode >= 500 ? QQErrorKind.Platform : QQErrorKind.Authentication;
                throw new QQApiException(kind, detail.ToString(), (int)response.StatusCode, code, message, endpoint: endpoint);
            }

            var now = _time.GetUtcNow();
            var life = lifetime.Value;
            var ahead = life > RefreshAhead * 2 ? RefreshAhead : life / 2;
            var fresh = new Token(token, now + life, now + life - ahead);
            _current = fresh;
            Interlocked.Increment(ref _fetches);
            Log.TokenFetched(_logger, _config.AppId, (long)life.TotalSeconds, fresh.ExpiresAt);
            return fresh;
        }
    }

    /// <summary><c>expires_in</c> is a string on the real server ("7200"); a number is accepted too.</summary>
    private static TimeSpan? ReadLifetime(JsonElement root)
    {
        if (!root.TryGetProperty("expires_in", out var value))
        {
            return null;
        }

        long seconds;
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            seconds = parsed;
        }
        else if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            seconds = number;
        }
        else
        {
            return null;
        }

        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    private sealed record Token(string Value, DateTimeOffset ExpiresAt, DateTimeOffset RefreshAt);
}
