using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plugboard.Plugins.WeComBot.Tests.Simulator;

/// <summary>A webhook answer as WeCom sees it.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Raw">The body as sent.</param>
/// <param name="Decrypted">The decrypted reply (null for an empty body).</param>
internal sealed record WebhookAnswer(HttpStatusCode Status, string Raw, JsonObject? Decrypted);

/// <summary>
/// WeCom's side of webhook mode, simulated (the real platform cannot call into the test machines): the URL
/// verification GET, signed and encrypted callback POSTs, checks of the encrypted answers (signature, echoed nonce,
/// ReceiveId), and the stream-refresh polling loop.
/// </summary>
internal sealed class WeComWebhookSimulator(HttpClient http, string url, string token, string encodingAesKey)
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Refresh polls sent so far.</summary>
    public int RefreshCount { get; private set; }

    /// <summary>The URL verification handshake: returns the HTTP status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> VerifyUrlAsync(string echo, bool badSignature = false)
    {
        var echostr = SimCrypto.Encrypt(encodingAesKey, echo);
        var (timestamp, nonce) = Stamp();
        var signature = badSignature ? new string('0', 40) : SimCrypto.Signature(token, timestamp, nonce, echostr);
        using var response = await http.GetAsync($"{url}?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}&echostr={Uri.EscapeDataString(echostr)}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POSTs one callback and checks and decrypts the answer.</summary>
    public async Task<WebhookAnswer> PostAsync(JsonObject callback, bool badSignature = false)
    {
        var encrypt = SimCrypto.Encrypt(encodingAesKey, callback.ToJsonString(Wire));
        var (timestamp, nonce) = Stamp();
        var signature = badSignature ? new string('0', 40) : SimCrypto.Signature(token, timestamp, nonce, encrypt);
        using var content = new StringContent(new JsonObject { ["encrypt"] = encrypt }.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"{url}?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}", content);
        var raw = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK || raw.Length == 0)
        {
            return new WebhookAnswer(response.StatusCode, raw, null);
        }

        // What WeCom checks: a signed envelope, our nonce echoed, a ciphertext that decrypts with ReceiveId "".
        var envelope = JsonNode.Parse(raw)!.AsObject();
        var answerEncrypt = envelope["encrypt"]!.GetValue<string>();
        var answerTimestamp = envelope["timestamp"]!.GetValue<string>();
        if (envelope["nonce"]!.GetValue<string>() != nonce)
        {
            throw new InvalidOperationException("The answer does not echo the request nonce: " + raw);
        }

        if (envelope["msgsignature"]!.GetValue<string>() != SimCrypto.Signature(token, answerTimestamp, nonce, answerEncrypt))
        {
            throw new InvalidOperationException("The answer's msgsignature is wrong: " + raw);
        }

        var (message, receiveId) = SimCrypto.Decrypt(encodingAesKey, answerEncrypt);
        if (receiveId.Length != 0)
        {
            throw new InvalidOperationException($"The answer's ReceiveId is '{receiveId}'; an internal AI bot's is empty.");
        }

        return new WebhookAnswer(response.StatusCode, raw, JsonNode.Parse(message)!.AsObject());
    }

    /// <summary>
    /// WeCom's refresh loop: POSTs <c>msgtype: stream</c> callbacks for the stream every <paramref name="interval"/>
    /// until an answer has <c>finish: true</c> (or <paramref name="maxPolls"/> polls); returns every answer.
    /// </summary>
    public async Task<List<JsonObject>> PollStreamAsync(string streamId, string userId, TimeSpan interval, int maxPolls = 600)
    {
        var answers = new List<JsonObject>();
        for (var i = 0; i < maxPolls; i++)
        {
            RefreshCount++;
            var answer = await PostAsync(new JsonObject
            {
                // A fresh msgid per refresh (configurable in the spec; WeCom's own behaviour is unverified).
                ["msgid"] = "refresh_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                ["aibotid"] = "aibSIM",
                ["chattype"] = "single",
                ["from"] = new JsonObject { ["userid"] = userId },
                ["msgtype"] = "stream",
                ["stream"] = new JsonObject { ["id"] = streamId },
            });
            var stream = answer.Decrypted?["stream"] as JsonObject ?? throw new InvalidOperationException("A refresh got no stream answer: " + answer.Raw);
            answers.Add(answer.Decrypted!);
            if (stream["finish"]!.GetValue<bool>())
            {
                return answers;
            }

            await Task.Delay(interval);
        }

        throw new TimeoutException($"Stream {streamId} did not finish within {maxPolls} refresh polls.");
    }

    private static (string Timestamp, string Nonce) Stamp()
        => (DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), RandomNumberGenerator.GetInt32(100_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture));
}
