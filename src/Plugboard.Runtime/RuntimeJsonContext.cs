using System.Text.Json;
using System.Text.Json.Serialization;
using Plugboard.Runtime.Dispatch;

namespace Plugboard.Runtime;

/// <summary>Source-generated serialization metadata for the runtime's own results.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(EventDispatchOutcome))]
[JsonSerializable(typeof(PluginStatus))]
[JsonSerializable(typeof(PluginStatus[]))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
