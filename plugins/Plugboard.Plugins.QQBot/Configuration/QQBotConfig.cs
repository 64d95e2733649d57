using System.Globalization;
using System.Text.Json;

namespace Plugboard.Plugins.QQBot.Configuration;

/// <summary>
/// One bot's adapter configuration (the <c>config</c> of <c>adapter/start</c>). The runtime validates it against the
/// manifest first; <see cref="Parse"/> validates again (tests and hand-started plugins skip the runtime) and fills
/// the defaults. Secrets never appear in <see cref="ToString"/>.
/// </summary>
internal sealed record QQBotConfig
{
    /// <summary>The official token endpoint.</summary>
    public const string DefaultTokenUrl = "https://bots.qq.com/app/getAppAccessToken";

    /// <summary>The official OpenAPI base URL.</summary>
    public const string DefaultApiBaseUrl = "https://api.sgroup.qq.com";

    /// <summary>The sandbox OpenAPI base URL.</summary>
    public const string SandboxApiBaseUrl = "https://sandbox.api.sgroup.qq.com";

    private static readonly string[] HttpSchemes = ["http", "https"];
    private static readonly string[] WebSocketSchemes = ["ws", "wss"];
    private static readonly string[] ProxySchemes = ["http", "https", "socks4", "socks4a", "socks5"];

    /// <summary>The bot's AppID from the QQ Bot console.</summary>
    public required string AppId { get; init; }

    /// <summary>The bot's AppSecret (client secret). Never logged.</summary>
    public required string ClientSecret { get; init; }

    /// <summary>The Identify intents mask.</summary>
    public QQIntents Intents { get; init; } = QQIntents.Default;

    /// <summary>Whether to use the sandbox OpenAPI host.</summary>
    public bool Sandbox { get; init; }

    /// <summary>The token endpoint.</summary>
    public string TokenUrl { get; init; } = DefaultTokenUrl;

    /// <summary>The OpenAPI base URL (no trailing slash).</summary>
    public string ApiBaseUrl { get; init; } = DefaultApiBaseUrl;

    /// <summary>A fixed gateway URL; <see langword="null"/> to discover it with <c>GET /gateway/bot</c>.</summary>
    public string? GatewayUrl { get; init; }

    /// <summary>An explicit proxy for REST and the gateway; <see langword="null"/> to use the environment (HTTPS_PROXY, WSS_PROXY, ALL_PROXY).</summary>
    public string? Proxy { get; init; }

    /// <summary>Send text as markdown (<c>msg_type</c> 2) instead of plain text.</summary>
    public bool Markdown { get; init; }

    /// <summary>How long a person (C2C) message can be replied to passively.</summary>
    public TimeSpan C2CReplyWindow { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>How long a group, guild channel or guild direct message can be replied to passively.</summary>
    public TimeSpan GroupReplyWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many passive replies per received message (the platform allows 5).</summary>
    public int MaxRepliesPerMessage { get; init; } = 5;

    /// <summary>The shard of this session, and the shard count.</summary>
    public (int Id, int Count) Shard { get; init; } = (0, 1);

    /// <summary>Give up after this many consecutive failed reconnects (0: never).</summary>
    public int MaxReconnectAttempts { get; init; } = 100;

    /// <summary>The first reconnect delay; doubled per failure with jitter up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The reconnect delay ceiling.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The pause after Invalid Session (op 9) before identifying again.</summary>
    public TimeSpan InvalidSessionDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The pause after close 4008 (payloads sent too fast).</summary>
    public TimeSpan RateLimitedReconnectDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The window in which <c>max_concurrency</c> sessions may start (5 s on the platform).</summary>
    public TimeSpan SessionStartWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A stored session older than this is not resumed after a restart; the adapter identifies instead.</summary>
    public TimeSpan SessionResumeMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long <c>adapter/start</c> waits for READY before answering (the connection continues in the background).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Acknowledge INTERACTION_CREATE with <c>PUT /interactions/{id}</c> as soon as it arrives.</summary>
    public bool AutoAcknowledgeInteractions { get; init; } = true;

    /// <summary>Base64 media up to this size is uploaded inline (<c>file_data</c>); larger media goes through the chunked upload.</summary>
    public long InlineUploadMaxBytes { get; init; } = 10L * 1024 * 1024;

    /// <summary>The largest media the adapter uploads at all.</summary>
    public long MaxUploadBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>How many conversations' events are delivered at once (in order within each conversation; 1: one at a time).</summary>
    public int MaxConcurrentDeliveries { get; init; } = 8;

    /// <summary>The timeout of one REST request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a rate-limited REST call (HTTP 429 or a rate-limit code) is retried with backoff.</summary>
    public int RateLimitRetries { get; init; } = 3;

    /// <summary>The first rate-limit retry delay (doubled per retry; a Retry-After header wins).</summary>
    public TimeSpan RateLimitBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The effective OpenAPI base URL without a trailing slash.</summary>
    public string EffectiveApiBaseUrl => ApiBaseUrl.TrimEnd('/');

    /// <summary>The passive-reply window for a chat kind.</summary>
    public TimeSpan ReplyWindow(bool person) => person ? C2CReplyWindow : GroupReplyWindow;

    /// <inheritdoc/>
    public override string ToString()
        => $"appId={AppId} intents={QQIntentNames.Describe(Intents)} sandbox={Sandbox} api={EffectiveApiBaseUrl} gateway={GatewayUrl ?? "(discovered)"} proxy={(Proxy is null ? "(environment)" : "(configured)")} markdown={Markdown}";

    /// <summary>Parses and validates a configuration object, reporting every problem at once.</summary>
    /// <exception cref="QQBotConfigException">The configuration is invalid; the message names each field.</exception>
    public static QQBotConfig Parse(JsonElement config)
    {
        var errors = new List<string>();
        if (config.ValueKind != JsonValueKind.Object)
        {
            throw new QQBotConfigException([$"config: expected a JSON object, got {config.ValueKind}"]);
        }

        var reader = new Reader(config, errors);
        var appId = reader.String("appId");
        var secret = reader.String("clientSecret");
        if (string.IsNullOrWhiteSpace(appId))
        {
            errors.Add("appId: required (the AppID from the QQ Bot console, q.qq.com)");
        }
        else if (!appId.All(char.IsAsciiDigit))
        {
            errors.Add($"appId: '{appId}' is not a QQ Bot AppID (digits only)");
        }

        if (string.IsNullOrWhiteSpace(secret))
        {
            errors.Add("clientSecret: required (the AppSecret from the QQ Bot console)");
        }

        var intents = ParseIntents(config, errors);
        var sandbox = reader.Bool("sandbox") ?? false;
        var tokenUrl = reader.Url("tokenUrl", HttpSchemes) ?? DefaultTokenUrl;
        var apiBase = reader.Url("apiBaseUrl", HttpSchemes) ?? (sandbox ? SandboxApiBaseUrl : DefaultApiBaseUrl);
        var gatewayUrl = reader.Url("gatewayUrl", WebSocketSchemes);
        var proxy = reader.Url("proxy", ProxySchemes);
        var defaults = new QQBotConfig { AppId = string.Empty, ClientSecret = string.Empty };
        var shardId = reader.Int("shardId", 0, 1_000_000) ?? 0;
        var shardCount = reader.Int("shardCount", 1, 1_000_000) ?? 1;
        if (shardId >= shardCount)
        {
            errors.Add($"shardId: {shardId} must be below shardCount ({shardCount})");
        }

        var result = new QQBotConfig
        {
            AppId = appId ?? string.Empty,
            ClientSecret = secret ?? string.Empty,
            Intents = intents,
            Sandbox = sandbox,
            TokenUrl = tokenUrl,
            ApiBaseUrl = apiBase,
            GatewayUrl = gatewayUrl,
            Proxy = proxy,
            Markdown = reader.Bool("markdown") ?? false,
            C2CReplyWindow = reader.Seconds("c2cReplyWindowSeconds", 1) ?? defaults.C2CReplyWindow,
            GroupReplyWindow = reader.Seconds("groupReplyWindowSeconds", 1) ?? defaults.GroupReplyWindow,
            MaxRepliesPerMessage = (int)(reader.Int("maxRepliesPerMessage", 1, 100) ?? defaults.MaxRepliesPerMessage),
            Shard = ((int)shardId, (int)shardCount),
            MaxReconnectAttempts = (int)(reader.Int("maxReconnectAttempts", 0, int.MaxValue) ?? defaults.MaxReconnectAttempts),
            ReconnectBaseDelay = reader.Milliseconds("reconnectBaseDelayMs", 1) ?? defaults.ReconnectBaseDelay,
            ReconnectMaxDelay = reader.Milliseconds("reconnectMaxDelayMs", 1) ?? defaults.ReconnectMaxDelay,
            InvalidSessionDelay = reader.Milliseconds("invalidSessionDelayMs", 0) ?? defaults.InvalidSessionDelay,
            RateLimitedReconnectDelay = reader.Milliseconds("rateLimitedReconnectDelayMs", 0) ?? defaults.RateLimitedReconnectDelay,
            SessionStartWindow = reader.Milliseconds("sessionStartWindowMs", 0) ?? defaults.SessionStartWindow,
            SessionResumeMaxAge = reader.Seconds("sessionResumeMaxAgeSeconds", 0) ?? defaults.SessionResumeMaxAge,
            StartTimeout = reader.Milliseconds("startTimeoutMs", 0) ?? defaults.StartTimeout,
            AutoAcknowledgeInteractions = reader.Bool("autoAcknowledgeInteractions") ?? true,
            InlineUploadMaxBytes = reader.Int("inlineUploadMaxBytes", 1, long.MaxValue) ?? defaults.InlineUploadMaxBytes,
            MaxUploadBytes = reader.Int("maxUploadBytes", 1, long.MaxValue) ?? defaults.MaxUploadBytes,
            MaxConcurrentDeliveries = (int)(reader.Int("maxConcurrentDeliveries", 1, 256) ?? defaults.MaxConcurrentDeliveries),
            RequestTimeout = reader.Milliseconds("requestTimeoutMs", 1) ?? defaults.RequestTimeout,
            RateLimitRetries = (int)(reader.Int("rateLimitRetries", 0, 20) ?? defaults.RateLimitRetries),
            RateLimitBaseDelay = reader.Milliseconds("rateLimitBaseDelayMs", 0) ?? defaults.RateLimitBaseDelay,
        };

        if (result.ReconnectMaxDelay < result.ReconnectBaseDelay)
        {
            errors.Add($"reconnectMaxDelayMs: {result.ReconnectMaxDelay.TotalMilliseconds} is below reconnectBaseDelayMs ({result.ReconnectBaseDelay.TotalMilliseconds})");
        }

        return errors.Count > 0 ? throw new QQBotConfigException(errors) : result;
    }

    private static QQIntents ParseIntents(JsonElement config, List<string> errors)
    {
        var mask = QQIntents.None;
        if (config.TryGetProperty("intentsMask", out var raw) && raw.ValueKind != JsonValueKind.Null)
        {
            if (raw.ValueKind == JsonValueKind.Number && raw.TryGetInt64(out var value) && value is >= 0 and <= int.MaxValue)
            {
                mask = (QQIntents)(int)value;
            }
            else
            {
                errors.Add($"intentsMask: expected a non-negative 32-bit integer, got {raw.GetRawText()}");
            }
        }

        if (config.TryGetProperty("intents", out var names) && names.ValueKind != JsonValueKind.Null)
        {
            if (names.ValueKind != JsonValueKind.Array)
            {
                errors.Add("intents: expected a list of intent names");
            }
            else
            {
                var named = QQIntents.None;
                foreach (var item in names.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && QQIntentNames.TryParse(item.GetString()!, out var intent))
                    {
                        named |= intent;
                    }
                    else
                    {
                        errors.Add($"intents: unknown intent {item.GetRawText()} (known: {string.Join(", ", QQIntentNames.All)})");
                    }
                }

                if (names.GetArrayLength() > 0)
                {
                    mask |= named;
                }
            }
        }

        // An empty configuration means the default mask; botpy likewise never identifies with 0.
        return mask == QQIntents.None ? QQIntents.Default : mask;
    }

    /// <summary>Typed access to optional fields; wrong types become errors naming the field.</summary>
    private readonly struct Reader(JsonElement config, List<string> errors)
    {
        public string? String(string name)
        {
            if (!config.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.String)
            {
                var text = value.GetString()!.Trim();
                return text.Length == 0 ? null : text;
            }

            // The console shows AppIDs as numbers; accept them unquoted.
            if (value.ValueKind == JsonValueKind.Number)
            {
                return value.GetRawText();
            }

            errors.Add($"{name}: expected a string, got {value.ValueKind}");
            return null;
        }

        public bool? Bool(string name)
        {
            if (!config.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return value.GetBoolean();
            }

            errors.Add($"{name}: expected true or false, got {value.GetRawText()}");
            return null;
        }

        public long? Int(string name, long min, long max)
        {
            if (!config.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= min && number <= max)
            {
                return number;
            }

            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: expected an integer from {min} to {max}, got {value.GetRawText()}"));
            return null;
        }

        public TimeSpan? Seconds(string name, long min) => Int(name, min, 100L * 365 * 24 * 3600) is { } value ? TimeSpan.FromSeconds(value) : null;

        public TimeSpan? Milliseconds(string name, long min) => Int(name, min, 100L * 365 * 24 * 3600 * 1000) is { } value ? TimeSpan.FromMilliseconds(value) : null;

        public string? Url(string name, string[] schemes)
        {
            var text = String(name);
            if (text is null)
            {
                return null;
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme))
            {
                errors.Add($"{name}: '{text}' is not an absolute {string.Join(" or ", schemes)} URL");
                return null;
            }

            return text;
        }
    }
}

/// <summary>The bot configuration is invalid.</summary>
internal sealed class QQBotConfigException(IReadOnlyList<string> errors)
    : Exception($"Invalid QQ Bot configuration: {string.Join("; ", errors)}.")
{
    /// <summary>One entry per problem, each starting with the field name.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
