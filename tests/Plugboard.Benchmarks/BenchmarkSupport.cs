using System.Diagnostics;
using System.Globalization;

namespace Plugboard.Benchmarks;

/// <summary>What every benchmark needs: option parsing, medians and percentiles.</summary>
internal static class BenchmarkSupport
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is absent.</summary>
    public static string? ReadString(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index < 0 ? null : index + 1 < args.Length ? args[index + 1] : throw new UsageException($"{name} needs a value.");
    }

    /// <summary>The positive integer after <paramref name="name"/>, or null when the option is absent.</summary>
    public static int? ReadInt(string[] args, string name)
        => ReadString(args, name) is { } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : throw new UsageException($"{name} needs a positive whole number, got '{text}'.")
            : null;

    /// <summary>The median (NaN for no values).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The nearest-rank percentile of already sorted values.</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Microseconds per call of <paramref name="call"/>, run back to back for <paramref name="seconds"/> after 50 warm-up calls.</summary>
    public static async Task<double> PerOpAsync(double seconds, Func<Task> call)
    {
        for (var i = 0; i < 50; i++)
        {
            await call();
        }

        var count = 0;
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
        {
            await call();
            count++;
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
    }
}
