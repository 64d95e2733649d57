using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Source-generated System.Text.Json metadata for the manifest model (camelCase names, nulls omitted, indented).
/// Use it to serialize a <see cref="PluginManifest"/>, e.g. to echo it in the <c>initialize</c> handshake.
/// To read a manifest use <see cref="ManifestLoader"/>, which validates before it deserializes.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(PluginManifest))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
public sealed partial class PluginManifestJsonContext : JsonSerializerContext;
