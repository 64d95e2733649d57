namespace Plugboard.Runtime.Plugins;

/// <summary>Thrown when a <c>plugin.json</c> is malformed or invalid; carries every problem found, not just the first.</summary>
public sealed class ManifestValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">Where the manifest came from (a file path), or <see langword="null"/>.</param>
    /// <param name="errors">Every problem found, each with the JSON path of the offending field.</param>
    public ManifestValidationException(string? source, IReadOnlyList<ManifestError> errors)
        : base(Format(source, errors))
    {
        SourceName = source;
        Errors = errors;
    }

    /// <summary>Where the manifest came from (a file path), or <see langword="null"/> when it was given as text.</summary>
    public string? SourceName { get; }

    /// <summary>Every problem found, each with the JSON path of the offending field.</summary>
    public IReadOnlyList<ManifestError> Errors { get; }

    private static string Format(string? source, IReadOnlyList<ManifestError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var what = source is null ? "The plugin manifest" : $"The plugin manifest {source}";
        return $"{what} is invalid ({errors.Count} problem{(errors.Count == 1 ? "" : "s")}). "
            + "Fix these fields (the schema is docs/schemas/plugin.schema.json) and load the plugin again:"
            + string.Concat(errors.Select(e => Environment.NewLine + "  " + e));
    }
}
