namespace Plugboard.Runtime.Storage;

/// <summary>
/// Versioned key/value storage for plugin data, data shared between plugins and the runtime's own data.
/// </summary>
/// <remarks>
/// <para>
/// Keys live in a <see cref="StorageScope"/>. A key is non-empty Unicode text without NUL characters, at most
/// <see cref="StorageOptions.MaxKeyBytes"/> bytes of UTF-8; a value is any bytes (possibly none), at most
/// <see cref="StorageOptions.MaxValueBytes"/>. Going over a limit throws <see cref="StorageLimitExceededException"/>.
/// </para>
/// <para>
/// Every write gives the key a new version: a positive number never used before in the store and greater than
/// the version of the previous write to that key. Versions are not contiguous. Use them with
/// <see cref="CompareAndSetAsync"/> for optimistic concurrency.
/// </para>
/// <para>Implementations are safe to use from many tasks at once.</para>
/// </remarks>
public interface IPlugboardStorage
{
    /// <summary>Reads a key.</summary>
    /// <param name="scope">The scope of the key.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The value and its version, or <see langword="null"/> when the key does not exist.</returns>
    Task<StorageEntry?> GetAsync(StorageScope scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Writes a key, creating or replacing it.</summary>
    /// <param name="scope">The scope of the key.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; may be empty.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new version of the key.</returns>
    Task<long> SetAsync(StorageScope scope, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key.</summary>
    /// <param name="scope">The scope of the key.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the key existed.</returns>
    Task<bool> DeleteAsync(StorageScope scope, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists keys of a scope in ascending Unicode code point order (the byte order of their UTF-8 form).
    /// </summary>
    /// <param name="scope">The scope to list.</param>
    /// <param name="prefix">When set, only keys that start with it (ordinal, case-sensitive).</param>
    /// <param name="startAfter">When set, only keys after it: pass the last key of a page to get the next page.</param>
    /// <param name="limit">
    /// The most keys to return, 1 to <see cref="StorageOptions.MaxListKeys"/>; <see langword="null"/> means
    /// <see cref="StorageOptions.MaxListKeys"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The keys, at most <paramref name="limit"/> of them.</returns>
    Task<IReadOnlyList<string>> ListKeysAsync(
        StorageScope scope,
        string? prefix = null,
        string? startAfter = null,
        int? limit = null,
        CancellationToken cancellationToken = default);

    /// <summary>Writes a key only if its current version is the expected one, atomically.</summary>
    /// <param name="scope">The scope of the key.</param>
    /// <param name="key">The key.</param>
    /// <param name="expectedVersion">
    /// The version the key must have, or <see langword="null"/> to write only if the key does not exist.
    /// </param>
    /// <param name="value">The value to write; may be empty.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>
    /// Whether the write happened, with the new version on success or the version found on failure. Of many
    /// callers that pass the same <paramref name="expectedVersion"/>, exactly one succeeds.
    /// </returns>
    Task<CompareAndSetResult> CompareAndSetAsync(
        StorageScope scope,
        string key,
        long? expectedVersion,
        ReadOnlyMemory<byte> value,
        CancellationToken cancellationToken = default);
}
