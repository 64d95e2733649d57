using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// A Semantic Versioning 2.0.0 version (<c>MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]</c>), ordered by semver precedence.
/// </summary>
/// <remarks>
/// Precedence follows semver.org §11: numeric parts compare numerically, a pre-release sorts before its release,
/// pre-release identifiers compare one by one (numeric identifiers numerically and below alphanumeric ones).
/// Build metadata is kept and printed but ignored by comparison and equality, as the specification requires.
/// </remarks>
[JsonConverter(typeof(SemanticVersionJsonConverter))]
public sealed class SemanticVersion : IComparable<SemanticVersion>, IComparable, IEquatable<SemanticVersion>
{
    private readonly string[] _preRelease;

    private SemanticVersion(long major, long minor, long patch, string[] preRelease, string? buildMetadata)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        _preRelease = preRelease;
        BuildMetadata = buildMetadata;
    }

    /// <summary>Creates a release version without pre-release identifiers or build metadata.</summary>
    /// <param name="major">The major version, zero or more.</param>
    /// <param name="minor">The minor version, zero or more.</param>
    /// <param name="patch">The patch version, zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative.</exception>
    public SemanticVersion(long major, long minor, long patch)
        : this(major, minor, patch, [], null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
    }

    /// <summary>The major version.</summary>
    public long Major { get; }

    /// <summary>The minor version.</summary>
    public long Minor { get; }

    /// <summary>The patch version.</summary>
    public long Patch { get; }

    /// <summary>The dot-separated pre-release identifiers (empty for a release).</summary>
    public IReadOnlyList<string> PreRelease => _preRelease;

    /// <summary>The build metadata after <c>+</c>, or <see langword="null"/>.</summary>
    public string? BuildMetadata { get; }

    /// <summary>Whether this is a pre-release (has pre-release identifiers).</summary>
    public bool IsPreRelease => _preRelease.Length > 0;

    /// <summary>Parses a semantic version.</summary>
    /// <param name="text">The version text, e.g. <c>1.4.0-beta.2+sha.5114f85</c>.</param>
    /// <returns>The parsed version.</returns>
    /// <exception cref="FormatException">The text is not a semantic version; the message says why.</exception>
    public static SemanticVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var version, out var problem)
            ? version
            : throw new FormatException($"\"{text}\" is not a semantic version: {problem}.");
    }

    /// <summary>Tries to parse a semantic version.</summary>
    /// <param name="text">The version text.</param>
    /// <param name="version">The parsed version when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="text"/> is a semantic version.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SemanticVersion? version)
        => TryParse(text, out version, out _);

    /// <summary>Tries to parse a semantic version and explains what is wrong when it is not one.</summary>
    /// <param name="text">The version text.</param>
    /// <param name="version">The parsed version when the method returns <see langword="true"/>.</param>
    /// <param name="problem">Why the text is not a semantic version when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="text"/> is a semantic version.</returns>
    public static bool TryParse(
        [NotNullWhen(true)] string? text,
        [NotNullWhen(true)] out SemanticVersion? version,
        [NotNullWhen(false)] out string? problem)
    {
        version = null;
        if (string.IsNullOrEmpty(text))
        {
            problem = "it is empty";
            return false;
        }

        var rest = text.AsSpan();
        string? build = null;
        var plus = rest.IndexOf('+');
        if (plus >= 0)
        {
            var buildPart = rest[(plus + 1)..];
            if (!TryCheckIdentifiers(buildPart, numericRules: false, "build metadata", out problem))
            {
                return false;
            }

            build = buildPart.ToString();
            rest = rest[..plus];
        }

        var preRelease = Array.Empty<string>();
        var dash = rest.IndexOf('-');
        if (dash >= 0)
        {
            var prePart = rest[(dash + 1)..];
            if (!TryCheckIdentifiers(prePart, numericRules: true, "pre-release", out problem))
            {
                return false;
            }

            preRelease = prePart.ToString().Split('.');
            rest = rest[..dash];
        }

        Span<Range> parts = stackalloc Range[4];
        if (rest.Split(parts, '.') != 3)
        {
            problem = "expected MAJOR.MINOR.PATCH";
            return false;
        }

        Span<long> numbers = stackalloc long[3];
        ReadOnlySpan<string> names = ["major", "minor", "patch"];
        for (var i = 0; i < 3; i++)
        {
            var part = rest[parts[i]];
            if (!IsNumeric(part))
            {
                problem = part.IsEmpty ? $"the {names[i]} version is empty" : $"the {names[i]} version \"{part}\" is not a number";
                return false;
            }

            if (part.Length > 1 && part[0] == '0')
            {
                problem = $"the {names[i]} version \"{part}\" has a leading zero";
                return false;
            }

            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                problem = $"the {names[i]} version \"{part}\" is too large";
                return false;
            }
        }

        version = new SemanticVersion(numbers[0], numbers[1], numbers[2], preRelease, build);
        problem = null;
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(SemanticVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var result = Major.CompareTo(other.Major);
        if (result == 0)
        {
            result = Minor.CompareTo(other.Minor);
        }

        if (result == 0)
        {
            result = Patch.CompareTo(other.Patch);
        }

        return result != 0 ? result : ComparePreRelease(_preRelease, other._preRelease);
    }

    /// <inheritdoc/>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        SemanticVersion other => CompareTo(other),
        _ => throw new ArgumentException($"Cannot compare a {nameof(SemanticVersion)} with a {obj.GetType().Name}.", nameof(obj)),
    };

    /// <summary>Whether two versions have the same precedence (build metadata is ignored).</summary>
    /// <param name="other">The other version.</param>
    /// <returns><see langword="true"/> when both versions have the same precedence.</returns>
    public bool Equals(SemanticVersion? other) => other is not null && CompareTo(other) == 0;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SemanticVersion);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Major);
        hash.Add(Minor);
        hash.Add(Patch);
        foreach (var identifier in _preRelease)
        {
            hash.Add(identifier, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <summary>The normalized text form, e.g. <c>1.4.0-beta.2+sha.5114f85</c>.</summary>
    /// <returns>The version text.</returns>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");
        if (_preRelease.Length > 0)
        {
            text += "-" + string.Join('.', _preRelease);
        }

        return BuildMetadata is null ? text : text + "+" + BuildMetadata;
    }

    /// <summary>Equality by precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether both have the same precedence.</returns>
    public static bool operator ==(SemanticVersion? left, SemanticVersion? right)
        => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether the precedences differ.</returns>
    public static bool operator !=(SemanticVersion? left, SemanticVersion? right) => !(left == right);

    /// <summary>Lower precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether <paramref name="left"/> precedes <paramref name="right"/>.</returns>
    public static bool operator <(SemanticVersion? left, SemanticVersion? right)
        => left is null ? right is not null : left.CompareTo(right) < 0;

    /// <summary>Lower or equal precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether <paramref name="left"/> precedes or equals <paramref name="right"/>.</returns>
    public static bool operator <=(SemanticVersion? left, SemanticVersion? right)
        => left is null || left.CompareTo(right) <= 0;

    /// <summary>Higher precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether <paramref name="left"/> follows <paramref name="right"/>.</returns>
    public static bool operator >(SemanticVersion? left, SemanticVersion? right)
        => left is not null && left.CompareTo(right) > 0;

    /// <summary>Higher or equal precedence.</summary>
    /// <param name="left">The left version.</param>
    /// <param name="right">The right version.</param>
    /// <returns>Whether <paramref name="left"/> follows or equals <paramref name="right"/>.</returns>
    public static bool operator >=(SemanticVersion? left, SemanticVersion? right)
        => left is null ? right is null : left.CompareTo(right) >= 0;

    private static int ComparePreRelease(string[] left, string[] right)
    {
        if (left.Length == 0 || right.Length == 0)
        {
            // A release (no identifiers) has higher precedence than any of its pre-releases.
            return right.Length.CompareTo(left.Length);
        }

        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var a = left[i];
            var b = right[i];
            var aNumeric = IsNumeric(a);
            var bNumeric = IsNumeric(b);
            int result;
            if (aNumeric && bNumeric)
            {
                // Numeric identifiers have no leading zeros, so a longer one is larger.
                result = a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
            }
            else if (aNumeric != bNumeric)
            {
                result = aNumeric ? -1 : 1;
            }
            else
            {
                result = string.CompareOrdinal(a, b);
            }

            if (result != 0)
            {
                return result;
            }
        }

        return left.Length.CompareTo(right.Length);
    }

    private static bool TryCheckIdentifiers(ReadOnlySpan<char> text, bool numericRules, string what, [NotNullWhen(false)] out string? problem)
    {
        if (text.IsEmpty)
        {
            problem = $"the {what} part is empty";
            return false;
        }

        foreach (var range in text.Split('.'))
        {
            var identifier = text[range];
            if (identifier.IsEmpty)
            {
                problem = $"the {what} part \"{text}\" has an empty identifier";
                return false;
            }

            foreach (var c in identifier)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    problem = $"the {what} part \"{text}\" may only contain ASCII letters, digits, '-' and '.'";
                    return false;
                }
            }

            if (numericRules && identifier.Length > 1 && identifier[0] == '0' && IsNumeric(identifier))
            {
                problem = $"the numeric {what} identifier \"{identifier}\" has a leading zero";
                return false;
            }
        }

        problem = null;
        return true;
    }

    private static bool IsNumeric(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
