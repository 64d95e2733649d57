using System.Globalization;
using System.Text.Json;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// The <c>id</c> of a JSON-RPC request: a number, a string or <see langword="null"/>.
/// Numbers that are not 64-bit integers are kept as their exact JSON text so they echo back unchanged.
/// </summary>
public readonly struct RequestId : IEquatable<RequestId>
{
    private readonly string? _text;
    private readonly long _number;
    private readonly Kind _kind;

    private enum Kind : byte
    {
        Null,
        Integer,
        String,
        OtherNumber,
    }

    /// <summary>Creates a numeric id.</summary>
    public RequestId(long number)
    {
        _number = number;
        _text = null;
        _kind = Kind.Integer;
    }

    /// <summary>Creates a string id.</summary>
    public RequestId(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        _number = 0;
        _kind = Kind.String;
    }

    private RequestId(string rawNumber, bool _)
    {
        _text = rawNumber;
        _number = 0;
        _kind = Kind.OtherNumber;
    }

    /// <summary>The null id, used in error responses to messages whose id could not be read.</summary>
    public static RequestId Null => default;

    /// <summary>Whether this is the null id.</summary>
    public bool IsNull => _kind == Kind.Null;

    /// <summary>The numeric value when the id is a 64-bit integer.</summary>
    public long? Number => _kind == Kind.Integer ? _number : null;

    /// <summary>The string value when the id is a string.</summary>
    public string? String => _kind == Kind.String ? _text : null;

    /// <summary>Reads an id from a JSON element; returns <see langword="false"/> for arrays, objects and booleans.</summary>
    public static bool TryParse(JsonElement element, out RequestId id)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                id = element.TryGetInt64(out var n) ? new RequestId(n) : new RequestId(element.GetRawText(), true);
                return true;
            case JsonValueKind.String:
                id = new RequestId(element.GetString()!);
                return true;
            case JsonValueKind.Null:
                id = Null;
                return true;
            default:
                id = Null;
                return false;
        }
    }

    /// <summary>Writes the id as a JSON value.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (_kind)
        {
            case Kind.Integer:
                writer.WriteNumberValue(_number);
                break;
            case Kind.String:
                writer.WriteStringValue(_text);
                break;
            case Kind.OtherNumber:
                writer.WriteRawValue(_text!, skipInputValidation: true);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <inheritdoc/>
    public bool Equals(RequestId other) => _kind == other._kind && _number == other._number && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RequestId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_kind, _number, _text);

    /// <inheritdoc/>
    public override string ToString() => _kind switch
    {
        Kind.Integer => _number.ToString(CultureInfo.InvariantCulture),
        Kind.String => "\"" + _text + "\"",
        Kind.OtherNumber => _text!,
        _ => "null",
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(RequestId left, RequestId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(RequestId left, RequestId right) => !left.Equals(right);
}
