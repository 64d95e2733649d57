using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// A progress token in the LSP/StreamJsonRpc sense: the caller puts it in a request's parameters, and the callee
/// reports progress with <c>$/progress {"token": ..., "value": ...}</c> notifications carrying the same token.
/// Serialized as a JSON number or string.
/// </summary>
[JsonConverter(typeof(ProgressTokenConverter))]
public readonly record struct ProgressToken
{
    /// <summary>Creates a numeric token.</summary>
    public ProgressToken(long number) => Value = number.ToString(CultureInfo.InvariantCulture);

    /// <summary>Creates a string token.</summary>
    public ProgressToken(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Value = text;
        IsString = true;
    }

    /// <summary>The token's text (the digits for a numeric token).</summary>
    public string Value { get; }

    /// <summary>Whether the token is serialized as a JSON string.</summary>
    public bool IsString { get; }

    /// <inheritdoc/>
    public override string ToString() => Value;
}

/// <summary>Reads and writes <see cref="ProgressToken"/> as a JSON number or string.</summary>
public sealed class ProgressTokenConverter : JsonConverter<ProgressToken>
{
    /// <inheritdoc/>
    public override ProgressToken Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => new ProgressToken(reader.GetString()!),
        JsonTokenType.Number when reader.TryGetInt64(out var n) => new ProgressToken(n),
        _ => throw new JsonException("A progress token must be a string or an integer."),
    };

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ProgressToken value, JsonSerializerOptions options)
    {
        if (value.IsString)
        {
            writer.WriteStringValue(value.Value);
        }
        else
        {
            writer.WriteRawValue(value.Value ?? "0", skipInputValidation: true);
        }
    }
}
