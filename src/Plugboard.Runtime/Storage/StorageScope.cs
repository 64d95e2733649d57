namespace Plugboard.Runtime.Storage;

/// <summary>
/// A namespace of keys in <see cref="IPlugboardStorage"/>. Keys in different scopes never see each other.
/// </summary>
/// <remarks>
/// <para>
/// There are three forms: one scope per plugin (<see cref="ForPlugin(string)"/>), the scope that all plugins
/// share (<see cref="Shared"/>), and named scopes the runtime uses for its own data (<see cref="Of(string)"/>,
/// for example <c>StorageScope.Of("bots")</c>). <see cref="Shared"/> is the named scope <c>shared</c>.
/// </para>
/// <para>
/// Names and plugin ids are 1 to <see cref="MaxNameLength"/> characters of ASCII letters, digits,
/// <c>.</c>, <c>_</c>, <c>-</c> and <c>/</c>, and start with a letter or a digit. Comparison is ordinal
/// (case-sensitive). A plugin scope is stored as <c>plugin:&lt;id&gt;</c>; because <c>:</c> is not allowed in
/// names, no named scope can collide with a plugin scope.
/// </para>
/// </remarks>
public sealed class StorageScope : IEquatable<StorageScope>
{
    /// <summary>The longest plugin id or scope name, in characters.</summary>
    public const int MaxNameLength = 128;

    private const string PluginPrefix = "plugin:";

    private StorageScope(string value, string? pluginId)
    {
        Value = value;
        PluginId = pluginId;
    }

    /// <summary>The scope shared by all plugins (the named scope <c>shared</c>).</summary>
    public static StorageScope Shared { get; } = new("shared", null);

    /// <summary>The canonical form of the scope as stored: <c>plugin:&lt;id&gt;</c> or the scope name.</summary>
    public string Value { get; }

    /// <summary>The plugin id for a plugin scope; <see langword="null"/> for a named scope.</summary>
    public string? PluginId { get; }

    /// <summary>Returns the private scope of one plugin.</summary>
    /// <param name="pluginId">The plugin id from its manifest.</param>
    /// <exception cref="ArgumentException"><paramref name="pluginId"/> is empty, too long or has a character outside the allowed set.</exception>
    public static StorageScope ForPlugin(string pluginId)
    {
        Validate(pluginId, nameof(pluginId), "plugin id");
        return new StorageScope(PluginPrefix + pluginId, pluginId);
    }

    /// <summary>Returns a named scope, for data the runtime keeps for itself (bots, configuration, ...).</summary>
    /// <param name="name">The scope name, for example <c>bots</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, too long or has a character outside the allowed set.</exception>
    public static StorageScope Of(string name)
    {
        Validate(name, nameof(name), "scope name");
        return name == Shared.Value ? Shared : new StorageScope(name, null);
    }

    /// <inheritdoc/>
    public bool Equals(StorageScope? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as StorageScope);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>Returns <see cref="Value"/>.</summary>
    public override string ToString() => Value;

    /// <summary>Compares two scopes by <see cref="Value"/>.</summary>
    public static bool operator ==(StorageScope? left, StorageScope? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares two scopes by <see cref="Value"/>.</summary>
    public static bool operator !=(StorageScope? left, StorageScope? right) => !(left == right);

    private static void Validate(string name, string parameterName, string what)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (name.Length == 0)
        {
            throw new ArgumentException($"The storage {what} is empty. Use 1 to {MaxNameLength} characters of ASCII letters, digits, '.', '_', '-' and '/'.", parameterName);
        }

        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"The storage {what} is {name.Length} characters long; the limit is {MaxNameLength}. Use a shorter {what}.", parameterName);
        }

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            throw new ArgumentException($"The storage {what} '{name}' must start with an ASCII letter or digit.", parameterName);
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or '/'))
            {
                throw new ArgumentException(
                    $"The storage {what} '{name}' contains the character U+{(int)c:X4}; only ASCII letters, digits, '.', '_', '-' and '/' are allowed.",
                    parameterName);
            }
        }
    }
}
