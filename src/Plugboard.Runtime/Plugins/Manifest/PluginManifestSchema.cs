namespace Plugboard.Runtime.Plugins;

/// <summary>
/// The published JSON Schema (draft 2020-12) of <c>plugin.json</c>, embedded in this assembly; the same file as
/// <c>docs/schemas/plugin.schema.json</c> in the repository.
/// </summary>
/// <remarks>
/// Editors can validate a manifest while it is written by pointing its <c>"$schema"</c> property at a copy of this
/// file. <see cref="ManifestLoader"/> applies this schema and, on top of it, the rules a schema cannot express.
/// </remarks>
public static class PluginManifestSchema
{
    private const string ResourceName = "Plugboard.Runtime.Plugins.plugin.schema.json";

    private static readonly Lazy<string> LazyText = new(ReadText);
    private static readonly Lazy<JsonSchemaValidator> LazyValidator = new(() => JsonSchemaValidator.Create(LazyText.Value));

    /// <summary>The schema as JSON text.</summary>
    public static string Text => LazyText.Value;

    /// <summary>A compiled validator for the schema (shared, thread-safe).</summary>
    internal static JsonSchemaValidator Validator => LazyValidator.Value;

    private static string ReadText()
    {
        using var stream = typeof(PluginManifestSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException(
                $"The embedded resource {ResourceName} is missing from {typeof(PluginManifestSchema).Assembly.GetName().Name}; "
                + "the Runtime project must embed docs/schemas/plugin.schema.json under that logical name.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
