namespace Plugboard.Runtime.Storage;

/// <summary>Options of <see cref="SqliteStorage"/>: where the database file is, plus the common limits.</summary>
public sealed class SqliteStorageOptions : StorageOptions
{
    /// <summary>The default <see cref="FileName"/>.</summary>
    public const string DefaultFileName = "storage.db";

    /// <summary>
    /// The runtime's data folder; required. It is created on first use if it does not exist.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>The database file name inside <see cref="DataDirectory"/>. Default: <c>storage.db</c>.</summary>
    public string FileName { get; set; } = DefaultFileName;

    /// <summary>
    /// How long, in seconds, a write waits for another process that holds the database's write lock.
    /// Default: 30. Allowed: 1 to 3600.
    /// </summary>
    public int BusyTimeoutSeconds { get; set; } = 30;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new InvalidOperationException(
                "SqliteStorageOptions.DataDirectory is not set; set it to the runtime's data folder, where the storage database file will be created.");
        }

        if (string.IsNullOrWhiteSpace(FileName) || FileName.IndexOfAny(['/', '\\']) >= 0 || FileName is "." or "..")
        {
            throw new InvalidOperationException(
                $"SqliteStorageOptions.FileName '{FileName}' is not a plain file name; use a name such as '{DefaultFileName}' and put the folder in DataDirectory.");
        }

        if (BusyTimeoutSeconds is < 1 or > 3600)
        {
            throw new InvalidOperationException(
                $"SqliteStorageOptions.BusyTimeoutSeconds is {BusyTimeoutSeconds}; set it to a number from 1 to 3,600.");
        }
    }
}
