using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WebChat;

/// <summary>
/// The web chat wire protocol (version 1, documented in docs/adapters.md): server frames written with
/// <see cref="Utf8JsonWriter"/>, client frames parsed from <see cref="JsonDocument"/>. One JSON object per WebSocket
/// text message, discriminated by <c>type</c>.
/// </summary>
internal static class Frames
{
    public const int ProtocolVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serializer settings for chains: the contracts' source-generated metadata, lenient on input.</summary>
    public static JsonSerializerOptions ChainOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowOutOfOrderMetadataProperties = true,
        TypeInfoResolver = ContractsJsonContext.Default,
    };

    private static JsonTypeInfo<MessageComponent[]> ChainInfo => (JsonTypeInfo<MessageComponent[]>)ChainOptions.GetTypeInfo(typeof(MessageComponent[]));

    private static JsonTypeInfo<User> UserInfo => (JsonTypeInfo<User>)ChainOptions.GetTypeInfo(typeof(User));

    public static byte[] Connected(string connectionId, string botId, ChatTarget chat, User user, string title) => Write(w =>
    {
        w.WriteString("type", "connected");
        w.WriteString("connectionId", connectionId);
        w.WriteString("botId", botId);
        WriteSession(w, chat);
        w.WritePropertyName("user");
        JsonSerializer.Serialize(w, user, UserInfo);
        w.WriteString("title", title);
        w.WriteNumber("protocol", ProtocolVersion);
        w.WriteString("timestamp", DateTimeOffset.UtcNow);
    });

    public static byte[] Message(HistoryEntry entry, string? clientId) => Write(w =>
    {
        w.WriteString("type", "message");
        w.WritePropertyName("message");
        WriteEntry(w, entry);
        if (clientId is not null)
        {
            w.WriteString("clientId", clientId);
        }
    });

    /// <summary>A bot answer or a chunk of one: <c>delta</c> is the new text, <c>content</c> everything so far.</summary>
    public static byte[] Response(string id, string? replyTo, string? streamId, string delta, string content, IReadOnlyList<MessageComponent>? chain, bool isFinal) => Write(w =>
    {
        w.WriteString("type", "response");
        w.WriteStartObject("data");
        w.WriteString("id", id);
        w.WriteString("role", HistoryEntry.AssistantRole);
        if (replyTo is not null)
        {
            w.WriteString("replyTo", replyTo);
        }

        if (streamId is not null)
        {
            w.WriteString("streamId", streamId);
        }

        w.WriteString("delta", delta);
        w.WriteString("content", content);
        if (chain is not null)
        {
            w.WritePropertyName("chain");
            JsonSerializer.Serialize(w, chain as MessageComponent[] ?? [.. chain], ChainInfo);
        }

        w.WriteBoolean("isFinal", isFinal);
        w.WriteString("timestamp", DateTimeOffset.UtcNow);
        w.WriteEndObject();
    });

    public static byte[] History(ChatTarget chat, IReadOnlyList<HistoryEntry> entries) => Write(w =>
    {
        w.WriteString("type", "history");
        WriteSession(w, chat);
        w.WriteStartArray("messages");
        foreach (var entry in entries)
        {
            WriteEntry(w, entry);
        }

        w.WriteEndArray();
    });

    public static byte[] Reset(ChatTarget chat, int cleared) => Write(w =>
    {
        w.WriteString("type", "reset");
        WriteSession(w, chat);
        w.WriteNumber("cleared", cleared);
        w.WriteString("timestamp", DateTimeOffset.UtcNow);
    });

    public static byte[] Routed(string messageId, JsonElement record) => Write(w =>
    {
        w.WriteString("type", "routed");
        w.WriteString("messageId", messageId);
        foreach (var name in (ReadOnlySpan<string>)["rule", "handler", "outcome", "error"])
        {
            if (record.ValueKind == JsonValueKind.Object && record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                w.WriteString(name, value.GetString());
            }
        }
    });

    public static byte[] Pong(string? id) => Write(w =>
    {
        w.WriteString("type", "pong");
        if (id is not null)
        {
            w.WriteString("id", id);
        }

        w.WriteString("timestamp", DateTimeOffset.UtcNow);
    });

    public static byte[] Notice(string text) => Write(w =>
    {
        w.WriteString("type", "broadcast");
        w.WriteString("message", text);
        w.WriteString("timestamp", DateTimeOffset.UtcNow);
    });

    public static byte[] Error(string code, string message, string? clientId = null) => Write(w =>
    {
        w.WriteString("type", "error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        if (clientId is not null)
        {
            w.WriteString("clientId", clientId);
        }
    });

    public static void WriteEntry(Utf8JsonWriter w, HistoryEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("id", entry.Id);
        w.WriteString("role", entry.Role);
        w.WritePropertyName("sender");
        JsonSerializer.Serialize(w, entry.Sender, UserInfo);
        w.WritePropertyName("chain");
        JsonSerializer.Serialize(w, entry.Chain as MessageComponent[] ?? [.. entry.Chain], ChainInfo);
        w.WriteString("text", entry.Text);
        if (entry.ReplyTo is not null)
        {
            w.WriteString("replyTo", entry.ReplyTo);
        }

        if (entry.StreamId is not null)
        {
            w.WriteString("streamId", entry.StreamId);
        }

        w.WriteString("timestamp", entry.Timestamp);
        w.WriteEndObject();
    }

    /// <summary>Writes a JSON document with <paramref name="body"/> as the members of its root object.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a client chain: our component names (<c>plain</c>, <c>image</c>, ...) in any case (<c>Plain</c> as in the
    /// anchor's protocol works too), properties in any order. <c>source</c> components are dropped (the adapter adds
    /// its own). Throws <see cref="JsonException"/> with a readable message.
    /// </summary>
    public static MessageComponent[] ParseChain(JsonElement chain)
    {
        if (chain.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"\"message\" must be an array of components (got {chain.ValueKind}), e.g. [{{\"type\":\"plain\",\"text\":\"hi\"}}].");
        }

        var array = JsonNode.Parse(chain.GetRawText())!.AsArray();
        foreach (var item in array)
        {
            if (item is JsonObject component && component["type"] is JsonValue type && type.TryGetValue<string>(out var name))
            {
                component["type"] = NormalizeType(name);
            }
            else
            {
                throw new JsonException("Every component needs a \"type\" (plain, at, atAll, image, voice, file, quote, face, forward, platform).");
            }
        }

        try
        {
            var parsed = array.Deserialize(ChainInfo) ?? [];
            return [.. parsed.Where(c => c is not SourceComponent)];
        }
        catch (JsonException ex) when (ex.Message.Contains("type discriminator", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("polymorphic", StringComparison.OrdinalIgnoreCase))
        {
            throw new JsonException("Unknown component type: use plain, at, atAll, image, voice, file, quote, face, forward or platform.", ex);
        }
    }

    private static string NormalizeType(string name) => name.ToLowerInvariant() switch
    {
        "atall" => "atAll",
        var lower => lower,
    };

    private static void WriteSession(Utf8JsonWriter w, ChatTarget chat)
    {
        w.WriteStartObject("session");
        w.WriteString("type", ChatSession.TypeName(chat.Type));
        w.WriteString("id", chat.Id);
        w.WriteEndObject();
    }
}
