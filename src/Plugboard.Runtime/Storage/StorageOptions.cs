namespace Plugboard.Runtime.Storage;

/// <summary>Limits that every <see cref="IPlugboardStorage"/> implementation enforces.</summary>
public class StorageOptions
{
    /// <summary>The largest value <see cref="MaxKeyBytes"/> may be set to (keeps keys indexable in every database).</summary>
    public const int MaxKeyBytesUpperBound = 2048;

    /// <summary>
    /// The longest key, in bytes of its UTF-8 form. Default: 512. Allowed: 1 to <see cref="MaxKeyBytesUpperBound"/>.
    /// </summary>
    public int MaxKeyBytes { get; set; } = 512;

    /// <summary>The largest value, in bytes. Default: 1 MiB (1,048,576). Allowed: 1 byte to 1 GiB.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most keys one <see cref="IPlugboardStorage.ListKeysAsync"/> call returns, and its default limit.
    /// Default: 1000. Allowed: 1 to 100,000.
    /// </summary>
    public int MaxListKeys { get; set; } = 1000;

    /// <summary>Throws when a limit is outside its allowed range.</summary>
    /// <exception cref="InvalidOperationException">A limit is out of range; the message names it.</exception>
    public virtual void Validate()
    {
        Check(nameof(MaxKeyBytes), MaxKeyBytes, 1, MaxKeyBytesUpperBound);
        Check(nameof(MaxValueBytes), MaxValueBytes, 1, 1024 * 1024 * 1024);
        Check(nameof(MaxListKeys), MaxListKeys, 1, 100_000);
    }

    private void Check(string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new InvalidOperationException(
                $"{GetType().Name}.{name} is {value}; set it to a number from {min:N0} to {max:N0}.");
        }
    }
}
