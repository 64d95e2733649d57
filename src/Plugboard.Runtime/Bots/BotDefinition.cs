using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Bots;

/// <summary>A configured bot: one adapter instance on a chat platform, with its routing rules.</summary>
/// <param name="Id">Unique id (lowercase letters, digits, '-', '_').</param>
/// <param name="Name">Display name.</param>
/// <param name="AdapterPlugin">The id of the adapter plugin that serves it.</param>
/// <param name="Platform">The adapter platform within that plugin (its manifest's <c>components.adapters[].platform</c>).</param>
/// <param name="Config">The adapter configuration (validated against the adapter's config fields; secrets included).</param>
/// <param name="Enabled">Whether the runtime starts it.</param>
/// <param name="Routes">Routing rules; the first enabled rule matching an event (by priority, then order) handles it.</param>
public sealed record BotDefinition(
    string Id,
    string Name,
    string AdapterPlugin,
    string Platform,
    JsonElement Config,
    bool Enabled = true,
    IReadOnlyList<RouteRule>? Routes = null);

/// <summary>Where a routed event goes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RouteHandlerKind>))]
public enum RouteHandlerKind
{
    /// <summary>Plugin listeners: all, or the named set in <see cref="RouteRule.Plugins"/>.</summary>
    [JsonStringEnumMemberName("plugins")]
    Plugins,

    /// <summary>An HTTP webhook (<see cref="RouteRule.Webhook"/>).</summary>
    [JsonStringEnumMemberName("webhook")]
    Webhook,

    /// <summary>Drop the event (logged).</summary>
    [JsonStringEnumMemberName("ignore")]
    Ignore,
}

/// <summary>One routing rule of a bot.</summary>
/// <param name="Event">Event pattern: exact type, <c>ns.*</c> or <c>*</c>.</param>
/// <param name="Handler">The handler kind.</param>
/// <param name="Priority">Higher is matched first.</param>
/// <param name="Enabled">Disabled rules are skipped.</param>
/// <param name="Plugins">For <see cref="RouteHandlerKind.Plugins"/>: plugin ids or <c>plugin-id/listener</c> names; empty means all.</param>
/// <param name="Webhook">For <see cref="RouteHandlerKind.Webhook"/>: the endpoint settings.</param>
/// <param name="Description">A note for operators.</param>
public sealed record RouteRule(
    string Event,
    RouteHandlerKind Handler,
    int Priority = 0,
    bool Enabled = true,
    IReadOnlyList<string>? Plugins = null,
    WebhookSettings? Webhook = null,
    string? Description = null);

/// <summary>A webhook handler's settings.</summary>
/// <param name="Url">The http(s) URL the event is POSTed to.</param>
/// <param name="Secret">The HMAC-SHA256 key for the <c>X-Plugboard-Signature</c> header.</param>
/// <param name="TimeoutSeconds">Per attempt. Default 10.</param>
/// <param name="Retries">Extra attempts after a network error, a timeout or a 5xx. Default 3.</param>
/// <param name="ResponseActions">Whether <c>actions</c> in the response body are executed through the bot. Default true.</param>
public sealed record WebhookSettings(string Url, string? Secret = null, double TimeoutSeconds = 10, int Retries = 3, bool ResponseActions = true);

/// <summary>An action executed through a bot's adapter (from a webhook response or a listener result).</summary>
/// <param name="Api">The adapter API (<c>reply</c>, <c>send</c>, <c>callPlatformApi</c>, ...).</param>
/// <param name="Params">Its parameters; for <c>reply</c> the chat and message id default to the event's.</param>
public sealed record RouteAction(string Api, JsonElement Params);

/// <summary>The actions object a webhook may answer with.</summary>
/// <param name="Actions">The actions, executed in order.</param>
public sealed record RouteActionList(IReadOnlyList<RouteAction>? Actions);

/// <summary>A bot's status.</summary>
/// <param name="Id">The bot id.</param>
/// <param name="Name">Its name.</param>
/// <param name="AdapterPlugin">Its adapter plugin.</param>
/// <param name="Platform">Its platform.</param>
/// <param name="Enabled">Whether it is enabled.</param>
/// <param name="State">Running, Stopped, Disabled, Waiting (for its adapter plugin) or Failed.</param>
/// <param name="LastError">Why it is not running, if it failed.</param>
/// <param name="Routes">Its routing rules.</param>
/// <param name="Config">Its configuration with secrets replaced by <c>***</c>.</param>
public sealed record BotStatus(string Id, string Name, string AdapterPlugin, string Platform, bool Enabled, string State, string? LastError, IReadOnlyList<RouteRule> Routes, JsonElement Config);

/// <summary>One routed event, as kept in a bot's recent-events list.</summary>
/// <param name="EventId">The event id.</param>
/// <param name="Type">The event type.</param>
/// <param name="Timestamp">When it was routed.</param>
/// <param name="Rule">The rule that matched (its description or pattern), or <c>default</c>.</param>
/// <param name="Handler">The handler kind that ran.</param>
/// <param name="Outcome">What happened, in a few words.</param>
/// <param name="Error">The error, if it failed.</param>
public sealed record BotEventRecord(string EventId, string Type, DateTimeOffset Timestamp, string Rule, RouteHandlerKind Handler, string Outcome, string? Error);
