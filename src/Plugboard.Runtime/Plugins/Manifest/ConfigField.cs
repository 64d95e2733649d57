using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>The type of a configuration field; written in JSON in lowercase (<c>"string"</c>, <c>"secret"</c>, ...).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConfigFieldType>))]
public enum ConfigFieldType
{
    /// <summary>A string.</summary>
    [JsonStringEnumMemberName("string")]
    String,

    /// <summary>A sensitive string (token, password): never logged, shown as <c>***</c> in redacted copies.</summary>
    [JsonStringEnumMemberName("secret")]
    Secret,

    /// <summary>A whole number (64-bit).</summary>
    [JsonStringEnumMemberName("int")]
    Int,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    [JsonStringEnumMemberName("bool")]
    Bool,

    /// <summary>One of the strings listed in <see cref="ConfigField.Values"/>.</summary>
    [JsonStringEnumMemberName("enum")]
    Enum,

    /// <summary>An array whose items have the type <see cref="ConfigField.ItemType"/> (string by default).</summary>
    [JsonStringEnumMemberName("list")]
    List,
}

/// <summary>One typed configuration field of a plugin or an adapter.</summary>
public sealed class ConfigField
{
    /// <summary>The key in the configuration object: a letter, then letters, digits and <c>_</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The field type.</summary>
    public required ConfigFieldType Type { get; init; }

    /// <summary>The label shown to people (defaults to <see cref="Name"/>).</summary>
    public string? DisplayName { get; init; }

    /// <summary>What the field controls.</summary>
    public string? Description { get; init; }

    /// <summary>The value used when the configuration does not set the field; must match <see cref="Type"/>. Secrets have none.</summary>
    public JsonElement? Default { get; init; }

    /// <summary>Whether the configuration must provide a value (a default satisfies it). Default <see langword="false"/>.</summary>
    public bool Required { get; init; }

    /// <summary>The allowed values of an <see cref="ConfigFieldType.Enum"/> field.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>The item type of a <see cref="ConfigFieldType.List"/> field: string (default), int or bool.</summary>
    public ConfigFieldType? ItemType { get; init; }
}
