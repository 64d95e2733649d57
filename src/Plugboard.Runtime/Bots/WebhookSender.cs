using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Bots;

/// <summary>
/// Delivers events to webhooks: a JSON POST signed with HMAC-SHA256 over <c>"{timestamp}.{body}"</c>
/// (<c>X-Plugboard-Signature: sha256=&lt;hex&gt;</c>, <c>X-Plugboard-Timestamp</c>), retried with exponential backoff
/// on network errors, timeouts and 5xx answers; 4xx answers are not retried.
/// </summary>
internal sealed class WebhookSender(HttpClient http, ILogger logger)
{
    public const string SignatureHeader = "X-Plugboard-Signature";
    public const string TimestampHeader = "X-Plugboard-Timestamp";
    public const string EventHeader = "X-Plugboard-Event";
    public const string DeliveryHeader = "X-Plugboard-Delivery";

    /// <summary>Posts the body; returns the parsed actions (possibly empty) or throws with the last failure.</summary>
    public async Task<IReadOnlyList<RouteAction>> SendAsync(WebhookSettings settings, string eventType, string eventId, byte[] body, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(0, settings.Retries) + 1;
        string? lastError = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            if (attempt > 1)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, attempt - 2), 10_000));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
            try
            {
                using var request = BuildRequest(settings, eventType, eventId, body);
                using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    BotLog.WebhookDelivered(logger, settings.Url, eventType, attempt, (int)response.StatusCode);
                    return settings.ResponseActions ? ParseActions(text) : [];
                }

                lastError = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = $"no answer within {settings.TimeoutSeconds} s";
            }
            catch (HttpRequestException ex)
            {
                lastError = ex.Message;
            }

            BotLog.WebhookAttemptFailed(logger, settings.Url, eventType, attempt, attempts, lastError);
        }

        throw new InvalidOperationException($"Webhook {settings.Url} failed after {attempts} attempt(s): {lastError}. Check that the endpoint is reachable and answers 2xx.");
    }

    public static string Sign(string secret, string timestamp, byte[] body)
    {
        var payload = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, payload);
        payload[timestamp.Length] = (byte)'.';
        body.CopyTo(payload, timestamp.Length + 1);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload));
    }

    private static HttpRequestMessage BuildRequest(WebhookSettings settings, string eventType, string eventId, byte[] body)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Add(EventHeader, eventType);
        request.Headers.Add(DeliveryHeader, eventId);
        request.Headers.Add(TimestampHeader, timestamp);
        if (!string.IsNullOrEmpty(settings.Secret))
        {
            request.Headers.Add(SignatureHeader, Sign(settings.Secret, timestamp, body));
        }

        return request;
    }

    private static IReadOnlyList<RouteAction> ParseActions(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(text, BotJsonContext.Default.RouteActionList)?.Actions ?? [];
        }
        catch (JsonException)
        {
            // A body that is not an actions object is not an error: the delivery itself succeeded.
            return [];
        }
    }
}
