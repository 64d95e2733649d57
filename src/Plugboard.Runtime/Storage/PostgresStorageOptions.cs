namespace Plugboard.Runtime.Storage;

/// <summary>Options of <see cref="PostgresStorage"/>: which schema holds the tables, plus the common limits.</summary>
public sealed class PostgresStorageOptions : StorageOptions
{
    /// <summary>The default <see cref="Schema"/>.</summary>
    public const string DefaultSchema = "plugboard";

    /// <summary>
    /// The PostgreSQL schema that holds the storage tables; created on first use if it does not exist.
    /// Default: <c>plugboard</c>. Allowed: 1 to 63 of lowercase ASCII letters, digits and <c>_</c>,
    /// starting with a letter or <c>_</c>, and not starting with <c>pg_</c> (reserved by PostgreSQL).
    /// </summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!IsValidSchemaName(Schema))
        {
            throw new InvalidOperationException(
                $"PostgresStorageOptions.Schema '{Schema}' is not a valid schema name; use 1 to 63 lowercase ASCII letters, digits and '_', starting with a letter or '_' and not with 'pg_' (for example '{DefaultSchema}').");
        }
    }

    private static bool IsValidSchemaName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || !(char.IsAsciiLetterLower(name[0]) || name[0] == '_')
            || name.StartsWith("pg_", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
