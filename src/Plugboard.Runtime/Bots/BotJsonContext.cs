using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Bots;

/// <summary>Source-generated serialization metadata for bots.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BotDefinition))]
[JsonSerializable(typeof(RouteActionList))]
[JsonSerializable(typeof(RouteAction[]))]
[JsonSerializable(typeof(BotStatus))]
[JsonSerializable(typeof(BotStatus[]))]
[JsonSerializable(typeof(BotEventRecord[]))]
[JsonSerializable(typeof(BotEventRecord))]
internal sealed partial class BotJsonContext : JsonSerializerContext;
