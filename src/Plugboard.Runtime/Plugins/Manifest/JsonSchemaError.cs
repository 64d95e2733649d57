namespace Plugboard.Runtime.Plugins;

/// <summary>One failed JSON Schema check: where it failed and what was expected.</summary>
/// <param name="Path">
/// The JSON path of the offending value, e.g. <c>$.location.city</c> or <c>$.items[2]</c>. For an instance error it
/// points into the validated instance; for a schema error (see <see cref="JsonSchemaValidator.CheckSchema"/>) into
/// the schema.
/// </param>
/// <param name="Pointer">The same location as an RFC 6901 JSON Pointer, e.g. <c>/location/city</c> (empty for the root).</param>
/// <param name="Keyword">The schema keyword that failed, e.g. <c>type</c>, <c>required</c> or <c>$ref</c>.</param>
/// <param name="Message">What is wrong and what is expected, e.g. <c>expected integer (got string)</c>.</param>
public sealed record JsonSchemaError(string Path, string Pointer, string Keyword, string Message)
{
    /// <summary>The error as one line: <c>path: message</c>.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => $"{Path}: {Message}";
}
