using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Plugins.WeComBot.LongConnection;

namespace Plugboard.Plugins.WeComBot;

/// <summary>Source-generated JSON metadata for the adapter's own types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(WeComConnectionStatus))]
[JsonSerializable(typeof(ConnectionModeResult))]
[JsonSerializable(typeof(StreamStatusResult))]
[JsonSerializable(typeof(UploadMediaResult))]
[JsonSerializable(typeof(StreamStatus))]
internal sealed partial class WeComJson : JsonSerializerContext
{
    /// <summary>The context with web defaults (camelCase, nulls omitted).</summary>
    public static WeComJson Context => Default;
}
