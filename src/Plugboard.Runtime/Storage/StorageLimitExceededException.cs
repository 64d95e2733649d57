using System.Globalization;

namespace Plugboard.Runtime.Storage;

/// <summary>
/// Thrown when a storage call goes over a limit of <see cref="StorageOptions"/>: a key or value too large, or a
/// list limit too high. Nothing was written.
/// </summary>
public sealed class StorageLimitExceededException : Exception
{
    /// <summary>Creates the exception with a message built from the limit, the actual size and the option.</summary>
    /// <param name="what">What went over the limit, for example <c>value</c>.</param>
    /// <param name="optionName">The <see cref="StorageOptions"/> property that sets the limit, for example <c>MaxValueBytes</c>.</param>
    /// <param name="limit">The limit in force.</param>
    /// <param name="actual">The actual size or count.</param>
    /// <param name="unit">The unit of <paramref name="limit"/> and <paramref name="actual"/>, for example <c>bytes</c>.</param>
    public StorageLimitExceededException(string what, string optionName, long limit, long actual, string unit)
        : base(string.Format(
            CultureInfo.InvariantCulture,
            "The storage {0} is {1:N0} {4}, over the limit of {2:N0} {4}. Make it smaller, or raise the limit with StorageOptions.{3}.",
            what,
            actual,
            limit,
            optionName,
            unit))
    {
        OptionName = optionName;
        Limit = limit;
        Actual = actual;
    }

    /// <summary>The <see cref="StorageOptions"/> property that sets the limit, for example <c>MaxValueBytes</c>.</summary>
    public string OptionName { get; }

    /// <summary>The limit in force.</summary>
    public long Limit { get; }

    /// <summary>The actual size or count that went over <see cref="Limit"/>.</summary>
    public long Actual { get; }
}
