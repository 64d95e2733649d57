using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Validates JSON values (tool arguments, tool results, platform action parameters) against a JSON Schema, reporting
/// every failure with the JSON path of the offending value.
/// </summary>
/// <remarks>
/// <para>
/// Compile once, validate many times: instances are immutable and safe to share between threads. The validator
/// implements JSON Schema 2020-12 (and the older spellings tool schemas still use) for self-contained schemas:
/// <c>$ref</c> may point anywhere inside the schema (<c>#/$defs/x</c>, <c>#anchor</c>, embedded <c>$id</c>), but never
/// to another document — nothing is fetched. <c>format</c> is an annotation, as 2020-12 specifies by default.
/// Regular expressions run with a linear-time engine where possible and a 250 ms timeout otherwise.
/// </para>
/// <para>
/// It is hand-written because no JSON Schema library can be restored from this project's package feed
/// (JsonSchema.Net needs JsonPointer.Net, which the feed does not serve); the test suite checks it against the
/// Python <c>jsonschema</c> reference implementation.
/// </para>
/// </remarks>
public sealed class JsonSchemaValidator
{
    private readonly SchemaNode _root;

    private JsonSchemaValidator(JsonElement schema, SchemaNode root)
    {
        Schema = schema;
        _root = root;
    }

    /// <summary>The schema this validator checks against.</summary>
    public JsonElement Schema { get; }

    /// <summary>Compiles a schema.</summary>
    /// <param name="schema">The JSON Schema (an object, or <c>true</c>/<c>false</c>).</param>
    /// <returns>A validator for the schema.</returns>
    /// <exception cref="InvalidJsonSchemaException">The schema is invalid; the exception lists every problem.</exception>
    public static JsonSchemaValidator Create(JsonElement schema)
        => TryCreate(schema, out var validator, out var errors) ? validator : throw new InvalidJsonSchemaException(errors);

    /// <summary>Compiles a schema from JSON text.</summary>
    /// <param name="schemaJson">The JSON Schema as JSON text.</param>
    /// <returns>A validator for the schema.</returns>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    /// <exception cref="InvalidJsonSchemaException">The schema is invalid; the exception lists every problem.</exception>
    public static JsonSchemaValidator Create(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        using var document = JsonDocument.Parse(schemaJson);
        return Create(document.RootElement);
    }

    /// <summary>Compiles a schema, or reports why it cannot be compiled.</summary>
    /// <param name="schema">The JSON Schema (an object, or <c>true</c>/<c>false</c>).</param>
    /// <param name="validator">The validator when the method returns <see langword="true"/>.</param>
    /// <param name="errors">Every problem in the schema, with paths inside the schema (empty on success).</param>
    /// <returns><see langword="true"/> when the schema is valid.</returns>
    public static bool TryCreate(JsonElement schema, [NotNullWhen(true)] out JsonSchemaValidator? validator, out IReadOnlyList<JsonSchemaError> errors)
    {
        var copy = schema.Clone();
        var root = JsonSchemaCompiler.Compile(copy, out errors);
        validator = root is null ? null : new JsonSchemaValidator(copy, root);
        return validator is not null;
    }

    /// <summary>Checks that a document is a valid, supported JSON Schema without keeping a validator.</summary>
    /// <param name="schema">The candidate schema.</param>
    /// <returns>Every problem, each with its path inside the schema; empty when the schema is valid.</returns>
    public static IReadOnlyList<JsonSchemaError> CheckSchema(JsonElement schema)
    {
        _ = JsonSchemaCompiler.Compile(schema, out var errors);
        return errors;
    }

    /// <summary>Validates an instance and reports every failure.</summary>
    /// <param name="instance">The JSON value to check.</param>
    /// <returns>The failures, each with the JSON path of the offending value; empty when the instance is valid.</returns>
    public IReadOnlyList<JsonSchemaError> Validate(JsonElement instance)
    {
        var sink = new ErrorSink();
        return _root.Evaluate(instance, InstanceLocation.Root, sink, null, 0) ? [] : sink.Errors;
    }

    /// <summary>Whether an instance is valid (stops at the first failure).</summary>
    /// <param name="instance">The JSON value to check.</param>
    /// <returns><see langword="true"/> when the instance satisfies the schema.</returns>
    public bool IsValid(JsonElement instance) => _root.Evaluate(instance, InstanceLocation.Root, null, null, 0);
}
