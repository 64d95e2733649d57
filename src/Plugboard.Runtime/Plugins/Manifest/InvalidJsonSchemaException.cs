namespace Plugboard.Runtime.Plugins;

/// <summary>Thrown when a document given as a JSON Schema is not a valid (or not a supported) JSON Schema.</summary>
public sealed class InvalidJsonSchemaException : Exception
{
    /// <summary>Creates the exception from the list of schema problems.</summary>
    /// <param name="errors">The problems, each with its path inside the schema.</param>
    public InvalidJsonSchemaException(IReadOnlyList<JsonSchemaError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found in the schema, each with its path inside the schema.</summary>
    public IReadOnlyList<JsonSchemaError> Errors { get; }

    private static string Format(IReadOnlyList<JsonSchemaError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return $"The JSON Schema is invalid ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}); fix these and try again:"
            + string.Concat(errors.Select(e => Environment.NewLine + "  " + e));
    }
}
