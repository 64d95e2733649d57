using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Plugboard.Runtime.Mcp;

/// <summary>Serialization of MCP protocol types (the official SDK's source-generated metadata) and of our own MCP records.</summary>
internal static class McpJson
{
    public static JsonTypeInfo<CallToolResult> CallToolResult { get; } = Info<CallToolResult>();

    public static JsonTypeInfo<ReadResourceResult> ReadResourceResult { get; } = Info<ReadResourceResult>();

    public static JsonTypeInfo<GetPromptResult> GetPromptResult { get; } = Info<GetPromptResult>();

    /// <summary>The JSON value a caller's progress receives for one MCP progress notification: <c>{"progress":n,"total":t,"message":"..."}</c>.</summary>
    public static JsonElement ProgressToJson(ProgressNotificationValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("progress", value.Progress);
            if (value.Total is { } total)
            {
                writer.WriteNumber("total", total);
            }

            if (value.Message is { } message)
            {
                writer.WriteString("message", message);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T));
}

/// <summary>Source-generated serialization of MCP server definitions (runtime storage) and statuses (control endpoint).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(McpServerDefinition))]
[JsonSerializable(typeof(McpServerStatus))]
[JsonSerializable(typeof(McpServerStatus[]))]
[JsonSerializable(typeof(McpResourceInfo[]))]
[JsonSerializable(typeof(McpPromptInfo[]))]
internal sealed partial class McpJsonContext : JsonSerializerContext;
