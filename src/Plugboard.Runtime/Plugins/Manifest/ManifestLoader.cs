using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Reads <c>plugin.json</c> manifests: parses, validates and reports every problem at once, each with the JSON path of
/// the offending field and what is expected.
/// </summary>
/// <remarks>
/// Validation has three layers, all reported together: the structure described by the published JSON Schema
/// (<see cref="PluginManifestSchema"/>), the rules a schema cannot express (unique tool and command names, tool
/// parameter schemas that are themselves valid JSON Schemas, paths that stay inside the plugin folder, config defaults
/// that match their type), and — for <see cref="LoadFromDirectory"/> — that the files the manifest names exist.
/// Malformed JSON is reported with its 1-based line and byte position.
/// </remarks>
public static class ManifestLoader
{
    /// <summary>The pattern a plugin id must match, e.g. <c>acme.weather</c>.</summary>
    public const string IdPattern = @"^(?=.{3,100}$)[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$";

    /// <summary>The largest <c>plugin.json</c> accepted: 1 MiB.</summary>
    public const int MaxManifestBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Parses and validates a manifest given as JSON text.</summary>
    /// <param name="json">The manifest JSON.</param>
    /// <param name="sourceName">Where it came from, for the error message (e.g. a file path), or <see langword="null"/>.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ManifestValidationException">The manifest is malformed or invalid; lists every problem.</exception>
    public static PluginManifest Parse(string json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(System.Text.Encoding.UTF8.GetBytes(json), sourceName);
    }

    /// <summary>Parses and validates a manifest given as UTF-8 bytes (a leading byte order mark is allowed).</summary>
    /// <param name="utf8Json">The manifest JSON.</param>
    /// <param name="sourceName">Where it came from, for the error message (e.g. a file path), or <see langword="null"/>.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ManifestValidationException">The manifest is malformed or invalid; lists every problem.</exception>
    public static PluginManifest Parse(ReadOnlySpan<byte> utf8Json, string? sourceName = null)
        => TryParse(utf8Json, out var manifest, out var errors) ? manifest : throw new ManifestValidationException(sourceName, errors);

    /// <summary>Parses and validates a manifest; never throws for bad input.</summary>
    /// <param name="utf8Json">The manifest JSON as UTF-8 bytes.</param>
    /// <param name="manifest">The manifest when the method returns <see langword="true"/>.</param>
    /// <param name="errors">Every problem found (empty on success).</param>
    /// <returns><see langword="true"/> when the manifest is valid.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out PluginManifest? manifest, out IReadOnlyList<ManifestError> errors)
    {
        manifest = null;
        if (utf8Json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8Json = utf8Json[3..];
        }

        if (utf8Json.Length > MaxManifestBytes)
        {
            errors = [new ManifestError(JsonPaths.Root, $"the manifest is {utf8Json.Length:N0} bytes; at most {MaxManifestBytes:N0} are allowed (move large content into separate files)")];
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            errors = [new ManifestError(JsonPaths.Root, DescribeSyntaxError(ex))];
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            var found = ManifestValidator.Validate(root);
            AddSchemaErrors(root, found);
            if (found.Count > 0)
            {
                errors = found;
                return false;
            }

            try
            {
                manifest = root.Deserialize(PluginManifestJsonContext.Default.PluginManifest);
            }
            catch (JsonException ex)
            {
                // The validator accepts only what the model can hold, so this is a bug; still report it as data.
                errors = [new ManifestError(ex.Path ?? JsonPaths.Root, "the value cannot be read: " + ex.Message)];
                return false;
            }

            if (manifest is null)
            {
                errors = [new ManifestError(JsonPaths.Root, "expected a JSON object (got null)")];
                return false;
            }

            errors = [];
            return true;
        }
    }

    /// <summary>Reads, parses and validates a manifest file.</summary>
    /// <param name="path">The path of the <c>plugin.json</c> file.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ManifestValidationException">The manifest is malformed or invalid; lists every problem.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PluginManifest LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(ReadBounded(path), path);
    }

    /// <summary>
    /// Loads the <c>plugin.json</c> of a plugin folder and also checks that the files it names exist: the icon, the
    /// .NET assembly, a command given as a relative path, and the working directory.
    /// </summary>
    /// <param name="pluginDirectory">The plugin folder.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ManifestValidationException">The manifest is malformed or invalid, or names missing files.</exception>
    /// <exception cref="FileNotFoundException">The folder has no <c>plugin.json</c>.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PluginManifest LoadFromDirectory(string pluginDirectory)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectory);
        var path = Path.Combine(pluginDirectory, PluginManifest.FileName);
        var bytes = ReadBounded(path);
        if (!TryParse(bytes, out var manifest, out var errors))
        {
            throw new ManifestValidationException(path, errors);
        }

        var missing = CheckFiles(manifest, pluginDirectory);
        return missing.Count == 0 ? manifest : throw new ManifestValidationException(path, missing);
    }

    /// <summary>Serializes a manifest to indented camelCase JSON (the form <see cref="Parse(string, string?)"/> reads).</summary>
    /// <param name="manifest">The manifest.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(PluginManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return JsonSerializer.Serialize(manifest, PluginManifestJsonContext.Default.PluginManifest);
    }

    internal static List<ManifestError> CheckFiles(PluginManifest manifest, string pluginDirectory)
    {
        var errors = new List<ManifestError>();
        var execution = manifest.Execution;
        if (manifest.Icon is { } icon && !File.Exists(Path.Combine(pluginDirectory, icon)))
        {
            errors.Add(new ManifestError("$.icon", $"the file \"{icon}\" does not exist in the plugin folder (add it or remove \"icon\")"));
        }

        if (execution.Dotnet is { } assembly && !File.Exists(Path.Combine(pluginDirectory, assembly)))
        {
            errors.Add(new ManifestError("$.execution.dotnet",
                $"the assembly \"{assembly}\" does not exist in the plugin folder (build the plugin first, e.g. dotnet publish -o <plugin folder>/bin)"));
        }

        if (execution.Command is { } command && !Path.IsPathRooted(command) && command.IndexOfAny(['/', '\\']) >= 0
            && !File.Exists(Path.Combine(pluginDirectory, command)))
        {
            errors.Add(new ManifestError("$.execution.command", $"the program \"{command}\" does not exist in the plugin folder"));
        }

        if (execution.WorkingDirectory is { } directory && !Directory.Exists(Path.Combine(pluginDirectory, directory)))
        {
            errors.Add(new ManifestError("$.execution.workingDirectory", $"the folder \"{directory}\" does not exist in the plugin folder"));
        }

        return errors;
    }

    private static byte[] ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxManifestBytes + 3)
        {
            throw new ManifestValidationException(path,
                [new ManifestError(JsonPaths.Root, $"the manifest is {stream.Length:N0} bytes; at most {MaxManifestBytes:N0} are allowed")]);
        }

        var buffer = new byte[stream.Length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static void AddSchemaErrors(JsonElement root, List<ManifestError> found)
    {
        // The published schema is the contract: anything it rejects that the checks above let through is reported
        // too (with the schema's own wording), so the schema and the loader can never silently disagree.
        foreach (var error in PluginManifestSchema.Validator.Validate(root))
        {
            if (!found.Any(e => Overlaps(e.Path, error.Path)))
            {
                found.Add(new ManifestError(error.Path, error.Message));
            }
        }
    }

    private static bool Overlaps(string a, string b)
        => a == b || IsUnder(a, b) || IsUnder(b, a);

    private static bool IsUnder(string path, string ancestor)
        => path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] is '.' or '[';

    private static string DescribeSyntaxError(JsonException ex)
    {
        var reason = ex.Message;
        var cut = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = reason.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        if (cut >= 0)
        {
            reason = reason[..cut];
        }

        reason = reason.TrimEnd('.', ' ');
        var line = (ex.LineNumber ?? 0) + 1;
        var position = (ex.BytePositionInLine ?? 0) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"malformed JSON at line {line}, byte {position}: {reason} (fix the JSON syntax; comments and trailing commas are not allowed)");
    }
}
