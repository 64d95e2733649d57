using System.Text;
using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Storage;

/// <summary>Argument and limit checks shared by the storage implementations.</summary>
internal static class StorageGuard
{
    public static void Key(StorageScope scope, string key, StorageOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(scope);
        Text(key, "key", nameof(key), allowEmpty: false);
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > options.MaxKeyBytes)
        {
            throw LimitExceeded(logger, scope, "key", nameof(StorageOptions.MaxKeyBytes), options.MaxKeyBytes, bytes, "bytes of UTF-8");
        }
    }

    public static void Value(StorageScope scope, ReadOnlyMemory<byte> value, StorageOptions options, ILogger logger)
    {
        if (value.Length > options.MaxValueBytes)
        {
            throw LimitExceeded(logger, scope, "value", nameof(StorageOptions.MaxValueBytes), options.MaxValueBytes, value.Length, "bytes");
        }
    }

    public static int List(StorageScope scope, string? prefix, string? startAfter, int? limit, StorageOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (prefix is not null)
        {
            Text(prefix, "key prefix", nameof(prefix), allowEmpty: true);
        }

        if (startAfter is not null)
        {
            Text(startAfter, "startAfter key", nameof(startAfter), allowEmpty: true);
        }

        var effective = limit ?? options.MaxListKeys;
        if (effective < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), effective, "The list limit must be at least 1.");
        }

        if (effective > options.MaxListKeys)
        {
            throw LimitExceeded(logger, scope, "list limit", nameof(StorageOptions.MaxListKeys), options.MaxListKeys, effective, "keys");
        }

        return effective;
    }

    /// <summary>
    /// Returns the smallest string, in code point order, that is greater than every string starting with
    /// <paramref name="prefix"/>, or <see langword="null"/> when there is none (the prefix is empty or all U+10FFFF).
    /// </summary>
    public static string? PrefixUpperBound(string prefix)
    {
        var index = prefix.Length;
        while (index > 0)
        {
            var start = index >= 2 && char.IsLowSurrogate(prefix[index - 1]) && char.IsHighSurrogate(prefix[index - 2]) ? index - 2 : index - 1;
            var rune = Rune.GetRuneAt(prefix, start);
            if (rune.Value < 0x10FFFF)
            {
                var next = rune.Value + 1 == 0xD800 ? new Rune(0xE000) : new Rune(rune.Value + 1);
                return string.Concat(prefix.AsSpan(0, start), next.ToString());
            }

            index = start;
        }

        return null;
    }

    private static void Text(string text, string what, string parameterName, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(text, parameterName);
        if (!allowEmpty && text.Length == 0)
        {
            throw new ArgumentException($"The storage {what} is empty; use at least one character.", parameterName);
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                throw new ArgumentException($"The storage {what} contains a NUL character (at index {i}); remove it.", parameterName);
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException(
                    $"The storage {what} has an unpaired UTF-16 surrogate at index {i}, so it is not valid Unicode text; fix how the {what} is built.",
                    parameterName);
            }
        }
    }

    private static StorageLimitExceededException LimitExceeded(
        ILogger logger, StorageScope scope, string what, string optionName, long limit, long actual, string unit)
    {
        StorageLog.LimitExceeded(logger, scope.Value, what, optionName, limit, actual);
        return new StorageLimitExceededException(what, optionName, limit, actual, unit);
    }
}
