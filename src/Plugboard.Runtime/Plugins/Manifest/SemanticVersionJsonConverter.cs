using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>Reads and writes a <see cref="SemanticVersion"/> as its JSON string form.</summary>
internal sealed class SemanticVersionJsonConverter : JsonConverter<SemanticVersion>
{
    public override SemanticVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a semantic version string (got {reader.TokenType}).");
        }

        var text = reader.GetString();
        return SemanticVersion.TryParse(text, out var version, out var problem)
            ? version
            : throw new JsonException($"\"{text}\" is not a semantic version: {problem}.");
    }

    public override void Write(Utf8JsonWriter writer, SemanticVersion value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.ToString());
}
