using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot;

/// <summary>Reads the JSON parameters of the adapter APIs that have no contract record (delete, uploadFile, platform actions).</summary>
internal static class AdapterParameters
{
    /// <summary>An empty JSON object result.</summary>
    public static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>A required string parameter.</summary>
    public static string Required(JsonElement parameters, string name)
        => QQJson.String(parameters, name) is { Length: > 0 } value
            ? value
            : throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' is required.");

    /// <summary>A chat target parameter (<paramref name="name"/>, or <c>target</c>).</summary>
    public static ChatTarget Chat(JsonElement parameters, string name)
    {
        if (parameters.ValueKind == JsonValueKind.Object && (parameters.TryGetProperty(name, out var value) || parameters.TryGetProperty("target", out value)) && value.ValueKind == JsonValueKind.Object)
        {
            try
            {
                return value.Deserialize(ContractsJsonContext.Default.ChatTarget) ?? throw new JsonException("null");
            }
            catch (JsonException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' must be a chat target {{\"type\":\"person\"|\"group\",\"id\":...}}: {ex.Message}");
            }
        }

        throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' (a chat target {{\"type\":\"person\"|\"group\",\"id\":...}}) is required.");
    }

    /// <summary>A media component from <c>file</c> (a chain component) or from <c>kind</c> + <c>url</c>/<c>base64</c>/<c>fileName</c>.</summary>
    public static MediaComponent Media(JsonElement parameters)
    {
        if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("file", out var file) && file.ValueKind == JsonValueKind.Object)
        {
            try
            {
                return file.Deserialize(ContractsJsonContext.Default.MessageComponent) as MediaComponent
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "'file' must be an image, voice or file component.");
            }
            catch (JsonException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"'file' is not a message component: {ex.Message}");
            }
        }

        var kind = QQJson.String(parameters, "kind") ?? "file";
        var url = QQJson.String(parameters, "url");
        var base64 = QQJson.String(parameters, "base64");
        var name = QQJson.String(parameters, "fileName");
        return kind switch
        {
            "image" => new ImageComponent(url, base64),
            "voice" => new VoiceComponent(url, base64),
            "video" => new FileComponent(name ?? "video.mp4", url, base64, MimeType: "video/mp4"),
            "file" => new FileComponent(name ?? "file", url, base64),
            _ => throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"'kind' must be image, voice, video or file, not '{kind}'."),
        };
    }
}
