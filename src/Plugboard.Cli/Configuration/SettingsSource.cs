using System.Text;
using System.Text.Json;

namespace Plugboard.Cli.Configuration;

/// <summary>One configured value: its key path (<c>control:port</c>), raw text, JSON kind and where it came from.</summary>
/// <param name="Key">The key path, segments joined by <c>:</c>, in the case it was written.</param>
/// <param name="Value">The value as text (<see langword="null"/> for JSON null).</param>
/// <param name="Kind">The JSON kind in the config file; <see cref="JsonValueKind.String"/> for environment and command line.</param>
/// <param name="Source">Where it was set, for error messages.</param>
internal sealed record SettingValue(string Key, string? Value, JsonValueKind Kind, string Source);

/// <summary>
/// The layered, flattened configuration: config file, then <c>PLUGBOARD__</c> environment variables, then
/// command-line options, later layers replacing earlier ones key by key (the Microsoft.Extensions.Configuration
/// convention: <c>__</c> in a variable name is the <c>:</c> of a key path, keys are case-insensitive, array items are
/// keys <c>0</c>, <c>1</c>, ...). Hand-written instead of <c>IConfiguration</c> so that every value keeps its JSON
/// type (plugin configuration needs numbers and booleans) and its source (errors name it).
/// </summary>
internal sealed class SettingsSource
{
    /// <summary>The prefix of environment variables that override settings.</summary>
    public const string EnvironmentPrefix = "PLUGBOARD__";

    private readonly Dictionary<string, SettingValue> _values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>All values, in no particular order.</summary>
    public IEnumerable<SettingValue> Values => _values.Values;

    /// <summary>The value at <paramref name="key"/>, if set (and not JSON null).</summary>
    public SettingValue? Get(string key) => _values.TryGetValue(key, out var value) && value.Value is not null ? value : null;

    /// <summary>The values under <paramref name="prefix"/> (<c>prefix:...</c>).</summary>
    public IEnumerable<SettingValue> Under(string prefix) => _values.Values.Where(v => v.Key.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds the values of a JSON config file (comments and trailing commas allowed).</summary>
    /// <exception cref="SettingsException">The file cannot be read or is not a JSON object.</exception>
    public void AddJsonFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException([new SettingError("(file)", $"config file {path}", $"cannot be read: {ex.Message}. Check the path given with --config or PLUGBOARD_CONFIG.")]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : string.Empty;
            throw new SettingsException([new SettingError("(file)", $"config file {path}", $"is not valid JSON{where}: {FirstSentence(ex.Message)}")]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException([new SettingError("(root)", $"config file {path}", $"must hold a JSON object ({{ ... }}), not {document.RootElement.ValueKind}")]);
            }

            Flatten(document.RootElement, null, $"config file {path}");
        }
    }

    /// <summary>Adds every <c>PLUGBOARD__</c> variable of <paramref name="environment"/>.</summary>
    public void AddEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (name.Length > EnvironmentPrefix.Length && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                Set(new SettingValue(key, value, JsonValueKind.String, $"environment variable {name}"));
            }
        }
    }

    /// <summary>Sets one value (command-line options).</summary>
    public void Set(SettingValue value)
    {
        // A scalar replaces a whole section set earlier (e.g. a JSON object in the file), and vice versa.
        foreach (var key in _values.Keys.Where(k => k.StartsWith(value.Key + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            _values.Remove(key);
        }

        _values[value.Key] = value;
    }

    /// <summary>The environment variable that sets <paramref name="key"/>.</summary>
    public static string EnvironmentName(string key) => EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    private void Flatten(JsonElement element, string? prefix, string source)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix is null ? property.Name : prefix + ":" + property.Name, source);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, prefix + ":" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), source);
                    index++;
                }

                break;
            case JsonValueKind.String:
                Set(new SettingValue(prefix!, element.GetString(), JsonValueKind.String, source));
                break;
            case JsonValueKind.Null:
                Set(new SettingValue(prefix!, null, JsonValueKind.Null, source));
                break;
            default:
                Set(new SettingValue(prefix!, element.GetRawText(), element.ValueKind, source));
                break;
        }
    }

    private static string FirstSentence(string message)
    {
        var builder = new StringBuilder(message);
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            builder.Length = cut;
        }

        return builder.ToString().TrimEnd('.', ' ');
    }
}

/// <summary>A problem with one setting.</summary>
/// <param name="Key">The key path (<c>control:port</c>).</param>
/// <param name="Source">Where the value came from.</param>
/// <param name="Message">What is wrong and what is expected.</param>
internal sealed record SettingError(string Key, string Source, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Key}: {Message} (set by {Source})";
}

/// <summary>Thrown when the configuration is invalid; lists every problem with the path of the setting.</summary>
internal sealed class SettingsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SettingsException(IReadOnlyList<SettingError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<SettingError> Errors { get; }

    private static string Format(IReadOnlyList<SettingError> errors)
    {
        var builder = new StringBuilder("The configuration is invalid:");
        foreach (var error in errors)
        {
            builder.Append(Environment.NewLine).Append("  ").Append(error);
        }

        builder.Append(Environment.NewLine).Append("Fix these settings (see docs/configuration.md), or check them with `plugboard config check`.");
        return builder.ToString();
    }
}
