using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.LongConnection;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>Result of <c>getConnectionMode</c>.</summary>
/// <param name="Mode">longConnection or webhook.</param>
/// <param name="Reason">Why that mode was chosen.</param>
/// <param name="Connection">The long connection's state (long-connection mode).</param>
/// <param name="WebhookUrl">The URL to enter in WeCom's callback settings (webhook mode).</param>
internal sealed record ConnectionModeResult(string Mode, string Reason, WeComConnectionStatus? Connection, string? WebhookUrl);

/// <summary>One stream in <c>getStreamStatus</c>.</summary>
/// <param name="StreamId">WeCom's stream id.</param>
/// <param name="MessageId">The message it answers.</param>
/// <param name="Finished">Whether the final update was given.</param>
/// <param name="Delivered">Whether WeCom has the latest snapshot (acked, or served to a refresh poll).</param>
/// <param name="ContentBytes">The content's UTF-8 size.</param>
/// <param name="Truncated">Whether the content hit the 20480-byte limit.</param>
/// <param name="Expired">Why it can no longer be updated, if so.</param>
/// <param name="AgeSeconds">Seconds since the stream began.</param>
internal sealed record StreamStatus(string StreamId, string MessageId, bool Finished, bool Delivered, int ContentBytes, bool Truncated, string? Expired, double AgeSeconds);

/// <summary>Result of <c>getStreamStatus</c>.</summary>
/// <param name="Streams">Streams that are open or recently finished, newest first.</param>
/// <param name="PendingCallbacks">Callbacks still within their reply window.</param>
internal sealed record StreamStatusResult(IReadOnlyList<StreamStatus> Streams, int PendingCallbacks);

/// <summary>Result of <c>uploadMedia</c>.</summary>
/// <param name="MediaId">WeCom's temporary media id (valid 3 days).</param>
/// <param name="Type">The media type.</param>
/// <param name="CreatedAt">WeCom's creation time, as it sent it.</param>
internal sealed record UploadMediaResult(string MediaId, string Type, string? CreatedAt);

/// <summary><c>callPlatformApi</c> actions.</summary>
internal sealed partial class WeComAiBot
{
    /// <summary>The platform actions, as declared in plugin.json.</summary>
    public static IReadOnlyList<string> Actions { get; } = ["getConnectionMode", "getStreamStatus", "sendMarkdown", "updateTemplateCard", "uploadMedia"];

    /// <summary>Runs a platform action.</summary>
    /// <exception cref="AdapterException">Unknown action, bad parameters, or a WeCom failure.</exception>
    public async Task<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
    {
        var args = parameters.ValueKind == JsonValueKind.Object ? JsonNode.Parse(parameters.GetRawText())!.AsObject() : [];
        switch (action)
        {
            case "getConnectionMode":
                return JsonSerializer.SerializeToElement(
                    new ConnectionModeResult(Settings.Mode == WeComBotMode.LongConnection ? "longConnection" : "webhook", Settings.ModeReason, _connection?.Status, WebhookUrl),
                    WeComJson.Context.ConnectionModeResult);
            case "getStreamStatus":
                return JsonSerializer.SerializeToElement(StreamStatusOf(Optional(args, "messageId"), Optional(args, "streamId")), WeComJson.Context.StreamStatusResult);
            case "sendMarkdown":
                var reqId = await SendMarkdownAsync(Required(args, "chatId"), Required(args, "content"), cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToElement(new JsonObject { ["reqId"] = reqId }, WeComJson.Context.JsonObject);
            case "updateTemplateCard":
                if (args["templateCard"] is not JsonObject card)
                {
                    throw AdapterException.InvalidParams("updateTemplateCard needs templateCard (the WeCom template_card object, with the event's task_id).");
                }

                var userIds = args["userIds"] is JsonArray users ? users.Select(u => u?.GetValue<string>() ?? string.Empty).Where(u => u.Length > 0).ToList() : null;
                await UpdateTemplateCardAsync(Required(args, "messageId"), card, userIds, cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToElement(new JsonObject { ["updated"] = true }, WeComJson.Context.JsonObject);
            case "uploadMedia":
                byte[] content;
                try
                {
                    content = Convert.FromBase64String(Required(args, "base64"));
                }
                catch (FormatException)
                {
                    throw AdapterException.InvalidParams("uploadMedia: base64 is not valid base64.");
                }

                var result = await UploadMediaAsync(Optional(args, "type") ?? "file", Required(args, "fileName"), content, cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToElement(result, WeComJson.Context.UploadMediaResult);
            default:
                throw AdapterException.NotSupported($"Unknown WeCom platform action '{action}'; the adapter supports {string.Join(", ", Actions)}");
        }
    }

    private StreamStatusResult StreamStatusOf(string? messageId, string? streamId)
    {
        var now = _time.GetUtcNow();
        var streams = new Dictionary<string, StreamReply>(StringComparer.Ordinal);
        foreach (var context in _contexts.Values)
        {
            if (messageId is not null && context.MessageId != messageId)
            {
                continue;
            }

            lock (context.Sync)
            {
                foreach (var stream in context.Streams.Values.Append(context.Announced).OfType<StreamReply>())
                {
                    streams[stream.Id] = stream;
                }
            }
        }

        var list = streams.Values
            .Where(s => streamId is null || s.Id == streamId)
            .OrderByDescending(s => s.CreatedAt)
            .Select(s => new StreamStatus(s.Id, s.Context.MessageId, s.Finished, s.DeliveredVersion >= s.Version && (s.Version > 0 || s.FinalServed), Encoding.UTF8.GetByteCount(s.Content), s.Truncated, s.ExpiredReason, Math.Round((now - s.CreatedAt).TotalSeconds, 3)))
            .ToList();
        return new StreamStatusResult(list, _contexts.Count);
    }

    private static string Required(JsonObject args, string name)
        => Optional(args, name) ?? throw AdapterException.InvalidParams($"The parameter '{name}' (a non-empty string) is required.");

    private static string? Optional(JsonObject args, string name)
        => args[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
