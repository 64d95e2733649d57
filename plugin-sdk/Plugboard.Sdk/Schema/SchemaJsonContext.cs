using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Plugboard.Sdk.Schema;

/// <summary>Source-generated metadata for the SDK's own JSON types.</summary>
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class SchemaJsonContext : JsonSerializerContext;
