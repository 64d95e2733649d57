using System.Text.Json;
using Plugboard.Plugins.WeComBot.Crypto;
using Plugboard.Plugins.WeComBot.LongConnection;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>How a bot talks to WeCom.</summary>
internal enum WeComBotMode
{
    /// <summary>The bot dials WeCom's WebSocket (bot id + secret); no public URL needed.</summary>
    LongConnection,

    /// <summary>WeCom POSTs encrypted callbacks to the adapter's HTTP endpoint (token + EncodingAESKey).</summary>
    Webhook,
}

/// <summary>
/// A bot's adapter configuration, read from the <c>adapter/start</c> config object. The mode is explicit or derived
/// without surprise: <c>mode</c> = <c>longConnection</c> or <c>webhook</c> when set; otherwise long connection when
/// bot id and secret are both given, webhook when token and EncodingAESKey are, and an error naming the missing
/// fields when neither set is complete.
/// </summary>
internal sealed record WeComBotSettings
{
    /// <summary>WeCom's limit on a stream's content, in UTF-8 bytes.</summary>
    public const int StreamContentLimit = 20480;

    /// <summary>The chosen mode.</summary>
    public WeComBotMode Mode { get; init; }

    /// <summary>Why that mode was chosen (logged and reported by <c>getConnectionMode</c>).</summary>
    public string ModeReason { get; init; } = string.Empty;

    /// <summary>Long connection: the WeCom bot id.</summary>
    public string BotId { get; init; } = string.Empty;

    /// <summary>Long connection: the bot secret.</summary>
    public string Secret { get; init; } = string.Empty;

    /// <summary>Webhook: the callback token.</summary>
    public string Token { get; init; } = string.Empty;

    /// <summary>Webhook: the EncodingAESKey (also decrypts webhook-mode media).</summary>
    public string EncodingAesKey { get; init; } = string.Empty;

    /// <summary>Webhook: the corp id (accepted as ReceiveId; an internal AI bot uses an empty one).</summary>
    public string CorpId { get; init; } = string.Empty;

    /// <summary>Long connection: the WebSocket URL.</summary>
    public Uri WebSocketUrl { get; init; } = new(WeComLongConnectionOptions.DefaultUrl);

    /// <summary>Long connection: ping interval.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Text sent as the welcome on <c>enter_chat</c> (empty: none, listeners may reply to the event instead).</summary>
    public string WelcomeText { get; init; } = string.Empty;

    /// <summary>Whether streamed replies are shown as they grow (false: one frame when the stream finishes).</summary>
    public bool Streaming { get; init; } = true;

    /// <summary>Whether replies carry a feedback id so users can rate them (<c>feedback.received</c>).</summary>
    public bool Feedback { get; init; } = true;

    /// <summary>Webhook: the address the adapter's HTTP endpoint listens on; bots are served under <c>/wecombot/{botId}</c>.</summary>
    public string WebhookListen { get; init; } = "http://0.0.0.0:8480";

    /// <summary>How long a frame waits for its ack.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the subscribe ack may take.</summary>
    public TimeSpan SubscribeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect attempts before giving up (−1: never).</summary>
    public int MaxReconnectAttempts { get; init; } = 10;

    /// <summary>Subscribe rejections before giving up (−1: never).</summary>
    public int MaxAuthFailures { get; init; } = 5;

    /// <summary>First conflict-retry delay.</summary>
    public TimeSpan ConflictBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a received message can be replied to (WeCom: about 6 minutes); its state is dropped after.</summary>
    public TimeSpan ReplyWindow { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>How long a webhook callback that expects a synchronous answer (welcome, card update) waits for a listener.</summary>
    public TimeSpan WebhookAnswerWait { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Largest media download turned into an inline component.</summary>
    public long MaxMediaBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>Reads and validates a bot's config, listing every problem at once.</summary>
    /// <exception cref="WeComConfigException">The config is invalid or names no complete mode.</exception>
    public static WeComBotSettings Parse(JsonElement config)
    {
        var errors = new List<string>();
        if (config.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
        {
            throw new WeComConfigException(["the config must be a JSON object"]);
        }

        string Str(string name, string fallback = "") => config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim() : fallback;

        int Int(string name, int fallback, int min, int max)
        {
            if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max)
            {
                return n;
            }

            errors.Add($"{name}: must be an integer from {min} to {max}");
            return fallback;
        }

        bool Bool(string name, bool fallback) => config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        var settings = new WeComBotSettings
        {
            BotId = Str("botId"),
            Secret = Str("secret"),
            Token = Str("token"),
            EncodingAesKey = Str("encodingAesKey"),
            CorpId = Str("corpId"),
            WelcomeText = Str("welcomeText"),
            Streaming = Bool("streaming", true),
            Feedback = Bool("feedback", true),
            WebhookListen = Str("webhookListen", "http://0.0.0.0:8480"),
            HeartbeatInterval = TimeSpan.FromMilliseconds(Int("heartbeatIntervalMs", 30_000, 10, 600_000)),
            AckTimeout = TimeSpan.FromMilliseconds(Int("ackTimeoutMs", 5_000, 10, 120_000)),
            SubscribeTimeout = TimeSpan.FromMilliseconds(Int("subscribeTimeoutMs", 10_000, 10, 120_000)),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(Int("reconnectBaseDelayMs", 1_000, 1, 600_000)),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(Int("reconnectMaxDelayMs", 30_000, 1, 3_600_000)),
            MaxReconnectAttempts = Int("maxReconnectAttempts", 10, -1, 1_000_000),
            MaxAuthFailures = Int("maxAuthFailures", 5, -1, 1_000_000),
            ConflictBaseDelay = TimeSpan.FromMilliseconds(Int("conflictRetryDelayMs", 200, 1, 60_000)),
            ReplyWindow = TimeSpan.FromSeconds(Int("replyWindowSeconds", 360, 1, 86_400)),
            WebhookAnswerWait = TimeSpan.FromMilliseconds(Int("webhookAnswerWaitMs", 4_000, 0, 4_900)),
            MaxMediaBytes = Int("maxMediaMegabytes", 20, 1, 100) * 1024L * 1024L,
        };

        var url = Str("webSocketUrl", WeComLongConnectionOptions.DefaultUrl);
        if (Uri.TryCreate(url.Length == 0 ? WeComLongConnectionOptions.DefaultUrl : url, UriKind.Absolute, out var wsUrl) && wsUrl.Scheme is "ws" or "wss")
        {
            settings = settings with { WebSocketUrl = wsUrl };
        }
        else
        {
            errors.Add($"webSocketUrl: '{url}' is not a ws:// or wss:// URL");
        }

        if (settings.WebhookListen.Length > 0 && !(Uri.TryCreate(settings.WebhookListen, UriKind.Absolute, out var listen) && listen.Scheme is "http" or "https"))
        {
            errors.Add($"webhookListen: '{settings.WebhookListen}' is not an http(s):// address such as http://0.0.0.0:8480");
        }

        var longReady = settings.BotId.Length > 0 && settings.Secret.Length > 0;
        var webhookReady = settings.Token.Length > 0 && settings.EncodingAesKey.Length > 0;
        var mode = Str("mode", "auto");
        switch (mode)
        {
            case "longConnection":
                settings = settings with { Mode = WeComBotMode.LongConnection, ModeReason = "mode is longConnection" };
                if (!longReady)
                {
                    errors.Add("mode longConnection needs " + Missing(("botId", settings.BotId), ("secret", settings.Secret)));
                }

                break;
            case "webhook":
                settings = settings with { Mode = WeComBotMode.Webhook, ModeReason = "mode is webhook" };
                if (!webhookReady)
                {
                    errors.Add("mode webhook needs " + Missing(("token", settings.Token), ("encodingAesKey", settings.EncodingAesKey)));
                }

                break;
            case "" or "auto":
                if (longReady)
                {
                    settings = settings with { Mode = WeComBotMode.LongConnection, ModeReason = webhookReady ? "mode is auto and botId/secret are set (webhook fields are set too but unused; set mode to choose)" : "mode is auto and botId/secret are set" };
                }
                else if (webhookReady)
                {
                    settings = settings with { Mode = WeComBotMode.Webhook, ModeReason = "mode is auto and token/encodingAesKey are set" };
                }
                else
                {
                    errors.Add("mode: no complete mode is configured: long connection needs botId and secret "
                        + $"(missing: {MissingNames(("botId", settings.BotId), ("secret", settings.Secret))}); webhook needs token and encodingAesKey "
                        + $"(missing: {MissingNames(("token", settings.Token), ("encodingAesKey", settings.EncodingAesKey))}). Set one pair, or set mode explicitly");
                }

                break;
            default:
                errors.Add($"mode: '{mode}' is not auto, longConnection or webhook");
                break;
        }

        if (settings.EncodingAesKey.Length > 0)
        {
            try
            {
                WeComMessageCrypto.DecodeEncodingAesKey(settings.EncodingAesKey);
            }
            catch (WeComCryptoException)
            {
                errors.Add("encodingAesKey: must be the 43-character EncodingAESKey from the bot's API settings (it decodes to 32 bytes)");
            }
        }

        if (errors.Count > 0)
        {
            throw new WeComConfigException(errors);
        }

        return settings;
    }

    /// <summary>The long-connection options these settings describe.</summary>
    public WeComLongConnectionOptions ToConnectionOptions() => new()
    {
        Url = WebSocketUrl,
        BotId = BotId,
        Secret = Secret,
        HeartbeatInterval = HeartbeatInterval,
        AckTimeout = AckTimeout,
        SubscribeTimeout = SubscribeTimeout,
        ReconnectBaseDelay = ReconnectBaseDelay,
        ReconnectMaxDelay = ReconnectMaxDelay,
        MaxReconnectAttempts = MaxReconnectAttempts,
        MaxAuthFailures = MaxAuthFailures,
        ConflictBaseDelay = ConflictBaseDelay,
        ConflictMaxDelay = TimeSpan.FromTicks(ConflictBaseDelay.Ticks * 10),
    };

    private static string Missing(params (string Name, string Value)[] fields) => MissingNames(fields) is { Length: > 0 } names ? names : "nothing";

    private static string MissingNames(params (string Name, string Value)[] fields) => string.Join(" and ", fields.Where(f => f.Value.Length == 0).Select(f => f.Name));
}

/// <summary>A bot's WeCom configuration is invalid.</summary>
internal sealed class WeComConfigException : Exception
{
    /// <summary>Creates the exception from the list of problems.</summary>
    public WeComConfigException(IReadOnlyList<string> errors)
        : base("Invalid WeCom bot configuration: " + string.Join("; ", errors) + ".")
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Errors { get; }
}
