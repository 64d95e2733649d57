using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Validates a plugin's (or an adapter's) configuration values against its <see cref="ConfigField"/>s, applies
/// defaults, and makes redacted copies that are safe to log.
/// </summary>
/// <remarks>
/// Rules: every value must match its field type; a required field must be set (a default counts; an empty string does
/// not); enum values must be listed; keys that match no field are reported in
/// <see cref="ConfigValidationResult.UnknownKeys"/> and left out of the effective configuration (they are not errors,
/// so a configuration written for an older plugin version still loads). Because hosts often keep configuration in
/// string-only stores (environment variables, <c>IConfiguration</c>), <c>int</c> and <c>bool</c> fields (and list
/// items) also accept strings that parse exactly (<c>"42"</c>, <c>"true"</c>); the effective configuration holds the
/// typed value.
/// </remarks>
public static class ConfigValidator
{
    /// <summary>The text that replaces secret values in <see cref="Redact"/>.</summary>
    public const string RedactedValue = "***";

    /// <summary>Validates configuration values and computes the effective configuration.</summary>
    /// <param name="fields">The configuration fields (e.g. <see cref="PluginManifest.Config"/>).</param>
    /// <param name="values">The configured values: a JSON object, or <see langword="null"/> for none.</param>
    /// <returns>The errors (each with the JSON path of the value) and the effective configuration.</returns>
    public static ConfigValidationResult Validate(IReadOnlyList<ConfigField> fields, JsonNode? values)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var errors = new List<ManifestError>();
        var effective = new JsonObject();
        var unknown = new List<string>();

        var input = ToObject(values, errors);
        if (input is { } obj)
        {
            foreach (var property in obj.EnumerateObject())
            {
                if (!fields.Any(f => string.Equals(f.Name, property.Name, StringComparison.Ordinal)))
                {
                    unknown.Add(property.Name);
                }
            }
        }

        foreach (var field in fields)
        {
            var path = JsonPaths.Property(JsonPaths.Root, field.Name);
            JsonElement value = default;
            var isSet = input is { } o && o.TryGetProperty(field.Name, out value) && value.ValueKind != JsonValueKind.Null;
            if (isSet && field.Type is ConfigFieldType.String or ConfigFieldType.Secret
                && value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0 && field.Required)
            {
                isSet = false; // An empty string does not satisfy "required".
            }

            if (!isSet)
            {
                if (field.Default is { ValueKind: not JsonValueKind.Null } fallback)
                {
                    effective[field.Name] = ConfigValues.Check(field, fallback, path, errors, coerceStrings: false);
                }
                else if (field.Required)
                {
                    errors.Add(new ManifestError(path, $"required {Describe(field)} is not set; add \"{field.Name}\" to the configuration"));
                }

                continue;
            }

            effective[field.Name] = ConfigValues.Check(field, value, path, errors, coerceStrings: true);
        }

        return new ConfigValidationResult(errors, effective, unknown);
    }

    /// <summary>
    /// Copies configuration values for logging: the values of <see cref="ConfigFieldType.Secret"/> fields, and of keys
    /// that match no field (they cannot be classified), are replaced by <see cref="RedactedValue"/>. Nulls stay null.
    /// </summary>
    /// <param name="fields">The configuration fields.</param>
    /// <param name="values">The configuration values (a JSON object), or <see langword="null"/>.</param>
    /// <returns>A new object that is safe to log.</returns>
    public static JsonObject Redact(IReadOnlyList<ConfigField> fields, JsonNode? values)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var redacted = new JsonObject();
        if (values is not JsonObject source)
        {
            return redacted;
        }

        foreach (var (name, value) in source)
        {
            var field = fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));
            redacted[name] = value is null
                ? null
                : field is null || field.Type == ConfigFieldType.Secret ? RedactedValue : value.DeepClone();
        }

        return redacted;
    }

    private static JsonElement? ToObject(JsonNode? values, List<ManifestError> errors)
    {
        if (values is null)
        {
            return null;
        }

        var element = JsonSerializer.SerializeToElement(values, PluginManifestJsonContext.Default.JsonNode);
        if (element.ValueKind == JsonValueKind.Object)
        {
            return element;
        }

        if (element.ValueKind != JsonValueKind.Null)
        {
            errors.Add(new ManifestError(JsonPaths.Root, $"expected a JSON object of configuration values (got {JsonSchemaCompiler.Kind(element)})"));
        }

        return null;
    }

    private static string Describe(ConfigField field) => field.Type switch
    {
        ConfigFieldType.Secret => "secret",
        _ => "field",
    };
}

/// <summary>The outcome of <see cref="ConfigValidator.Validate"/>.</summary>
public sealed class ConfigValidationResult
{
    internal ConfigValidationResult(IReadOnlyList<ManifestError> errors, JsonObject values, IReadOnlyList<string> unknownKeys)
    {
        Errors = errors;
        Values = values;
        UnknownKeys = unknownKeys;
    }

    /// <summary>Whether the configuration is valid.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Every problem, each with the JSON path of the value (e.g. <c>$.units</c>).</summary>
    public IReadOnlyList<ManifestError> Errors { get; }

    /// <summary>
    /// The effective configuration: every field that is set or has a default, with typed values. Secrets are included
    /// in clear; use <see cref="ConfigValidator.Redact"/> before logging it.
    /// </summary>
    public JsonObject Values { get; }

    /// <summary>Configured keys that match no field (left out of <see cref="Values"/>).</summary>
    public IReadOnlyList<string> UnknownKeys { get; }
}

/// <summary>Type checks shared by the manifest loader (for defaults) and <see cref="ConfigValidator"/> (for values).</summary>
internal static class ConfigValues
{
    /// <summary>Checks one value; adds errors and returns the normalized value (or null when invalid).</summary>
    public static JsonNode? Check(ConfigField field, JsonElement value, string path, List<ManifestError> errors, bool coerceStrings)
        => Check(field.Type, field.Values, field.ItemType ?? ConfigFieldType.String, value, path, errors, coerceStrings);

    public static JsonNode? Check(
        ConfigFieldType type,
        IReadOnlyList<string>? allowed,
        ConfigFieldType itemType,
        JsonElement value,
        string path,
        List<ManifestError> errors,
        bool coerceStrings)
    {
        switch (type)
        {
            case ConfigFieldType.String:
            case ConfigFieldType.Secret:
                if (value.ValueKind == JsonValueKind.String)
                {
                    return JsonValue.Create(value.GetString());
                }

                errors.Add(new ManifestError(path, $"expected a string (got {Got(value, type == ConfigFieldType.Secret)})"));
                return null;

            case ConfigFieldType.Int:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
                {
                    return JsonValue.Create(number);
                }

                if (coerceStrings && value.ValueKind == JsonValueKind.String
                    && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
                {
                    return JsonValue.Create(number);
                }

                errors.Add(new ManifestError(path, $"expected a whole number (got {Got(value, secret: false)})"));
                return null;

            case ConfigFieldType.Bool:
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    return JsonValue.Create(value.GetBoolean());
                }

                if (coerceStrings && value.ValueKind == JsonValueKind.String && value.GetString() is "true" or "false")
                {
                    return JsonValue.Create(value.GetString() == "true");
                }

                errors.Add(new ManifestError(path, $"expected true or false (got {Got(value, secret: false)})"));
                return null;

            case ConfigFieldType.Enum:
                var choices = allowed ?? [];
                if (value.ValueKind == JsonValueKind.String && choices.Contains(value.GetString()!, StringComparer.Ordinal))
                {
                    return JsonValue.Create(value.GetString());
                }

                errors.Add(new ManifestError(path,
                    $"expected one of {string.Join(", ", choices.Select(c => "\"" + c + "\""))} (got {Got(value, secret: false)})"));
                return null;

            case ConfigFieldType.List:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    errors.Add(new ManifestError(path, $"expected an array of {ItemName(itemType)} (got {Got(value, secret: false)})"));
                    return null;
                }

                var items = new JsonArray();
                var index = 0;
                var before = errors.Count;
                foreach (var item in value.EnumerateArray())
                {
                    items.Add(Check(itemType, null, ConfigFieldType.String, item, JsonPaths.Index(path, index), errors, coerceStrings));
                    index++;
                }

                return errors.Count == before ? items : null;

            default:
                errors.Add(new ManifestError(path, $"fields of type {type} cannot hold values"));
                return null;
        }
    }

    private static string ItemName(ConfigFieldType itemType) => itemType switch
    {
        ConfigFieldType.Int => "whole numbers",
        ConfigFieldType.Bool => "true/false values",
        _ => "strings",
    };

    private static string Got(JsonElement value, bool secret)
        => secret ? JsonSchemaCompiler.Kind(value) : JsonSchemaCompiler.Describe(value);
}
