namespace Plugboard.Runtime.Dispatch;

/// <summary>Matches event types against listener patterns: exact (<c>message.received</c>), namespace prefix (<c>message.*</c>) or everything (<c>*</c>).</summary>
public static class EventPattern
{
    /// <summary>Whether <paramref name="eventType"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string eventType)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(eventType);
        if (pattern == "*")
        {
            return true;
        }

        if (pattern.EndsWith(".*", StringComparison.Ordinal))
        {
            var prefix = pattern.AsSpan(0, pattern.Length - 1);
            return eventType.AsSpan().StartsWith(prefix, StringComparison.Ordinal);
        }

        return string.Equals(pattern, eventType, StringComparison.Ordinal);
    }
}
