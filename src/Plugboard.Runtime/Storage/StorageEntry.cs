namespace Plugboard.Runtime.Storage;

/// <summary>A stored value and the version it was written with.</summary>
public sealed class StorageEntry
{
    /// <summary>Creates an entry.</summary>
    /// <param name="value">The stored bytes.</param>
    /// <param name="version">The version of the write that stored <paramref name="value"/>.</param>
    public StorageEntry(ReadOnlyMemory<byte> value, long version)
    {
        Value = value;
        Version = version;
    }

    /// <summary>The stored bytes (possibly empty).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>
    /// The version of the write that stored <see cref="Value"/>: positive, unique within the store, and greater
    /// than the version of any earlier write to the same key. Pass it to
    /// <see cref="IPlugboardStorage.CompareAndSetAsync"/> to update the key only if nobody wrote it since.
    /// </summary>
    public long Version { get; }
}
