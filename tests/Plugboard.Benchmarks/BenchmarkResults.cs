using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plugboard.Benchmarks;

/// <summary>One measurement: time per operation, throughput, and bytes allocated per operation in this process.</summary>
internal sealed record Sample(double MicrosecondsPerOp, double OpsPerSecond, double? AllocatedBytesPerOp, long Operations)
{
    /// <summary>Measures <paramref name="run"/>, which returns how many operations it completed.</summary>
    public static async Task<Sample> MeasureAsync(Func<Task<long>> run)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        var operations = await run();
        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        if (operations <= 0)
        {
            throw new InvalidOperationException("A measurement completed no operation.");
        }

        return new Sample(elapsed.TotalMicroseconds / operations, operations / elapsed.TotalSeconds, (double)allocated / operations, operations);
    }
}

/// <summary>Identifies a scenario: transport, payload size, implementation and mode.</summary>
internal sealed record Scenario(string Transport, PayloadSize Size, string Implementation, string Mode)
{
    public const string Stdio = "stdio";
    public const string WebSocket = "websocket";
    public const string Raw = "raw echo";
    public const string Plugboard = "Plugboard JSON-RPC";
    public const string VsCode = "vscode-jsonrpc";
    public const string Sequential = "sequential";
    public const string Pipelined = "pipelined";

    public string Id => $"{Transport}.{(Size == PayloadSize.Small ? "small" : "large")}.{Implementation switch { Raw => "raw", Plugboard => "plugboard", _ => "vscode-jsonrpc" }}.{Mode}";

    public string PayloadLabel => Size == PayloadSize.Small ? $"{Payloads.SmallChars} B" : $"{Payloads.LargeChars / 1024} KiB";
}

/// <summary>A target ratio between two scenarios, evaluated per round and reported as the median.</summary>
internal sealed record Target(string Name, Scenario Subject, Scenario Baseline, bool Throughput, double Limit, bool IsGoal)
{
    /// <summary>Subject over baseline: time per op for latency targets (lower is better), ops/s for throughput targets (higher is better).</summary>
    public double Ratio(Sample subject, Sample baseline)
        => Throughput ? subject.OpsPerSecond / baseline.OpsPerSecond : subject.MicrosecondsPerOp / baseline.MicrosecondsPerOp;

    public bool Met(double ratio) => Throughput ? ratio >= Limit : ratio <= Limit;

    public string Requirement => Throughput ? $">= {Limit:0.##}x" : $"<= {Limit:0.##}x";
}

/// <summary>All samples of a run, by scenario and round; medians, ratios, the printed table and the JSON file.</summary>
internal sealed class BenchmarkResults(int rounds)
{
    private readonly List<Scenario> _scenarios = [];
    private readonly Dictionary<string, Sample?[]> _samples = [];
    private readonly Dictionary<string, string> _skipped = [];

    public void Add(Scenario scenario, int round, Sample sample)
    {
        if (!_samples.TryGetValue(scenario.Id, out var perRound))
        {
            perRound = new Sample?[rounds];
            _samples[scenario.Id] = perRound;
            _scenarios.Add(scenario);
        }

        perRound[round] = sample;
    }

    public void Skip(string what, string reason) => _skipped[what] = reason;

    public Sample? Median(Scenario scenario)
    {
        if (!_samples.TryGetValue(scenario.Id, out var perRound) || perRound.All(s => s is null))
        {
            return null;
        }

        var present = perRound.OfType<Sample>().ToList();
        var allocations = present.Where(s => s.AllocatedBytesPerOp is not null).Select(s => s.AllocatedBytesPerOp!.Value).ToList();
        return new Sample(
            MedianOf(present.Select(s => s.MicrosecondsPerOp)),
            MedianOf(present.Select(s => s.OpsPerSecond)),
            allocations.Count == 0 ? null : MedianOf(allocations),
            (long)MedianOf(present.Select(s => (double)s.Operations)));
    }

    /// <summary>The median of the per-round ratios (baseline and subject of a round ran back to back).</summary>
    public double? MedianRatio(Target target)
    {
        if (!_samples.TryGetValue(target.Subject.Id, out var subject) || !_samples.TryGetValue(target.Baseline.Id, out var baseline))
        {
            return null;
        }

        var ratios = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            if (subject[round] is { } s && baseline[round] is { } b)
            {
                ratios.Add(target.Ratio(s, b));
            }
        }

        return ratios.Count == 0 ? null : MedianOf(ratios);
    }

    public string FormatTable(IReadOnlyList<Target> targets)
    {
        var text = new StringBuilder();
        var header = string.Format(CultureInfo.InvariantCulture, "{0,-10} {1,-8} {2,-19} {3,-11} {4,11} {5,12} {6,12}", "transport", "payload", "implementation", "mode", "us/op", "ops/s", "alloc B/op");
        text.AppendLine(header);
        text.AppendLine(new string('-', header.Length));
        string? lastGroup = null;
        foreach (var scenario in _scenarios
            .OrderBy(s => s.Transport == Scenario.Stdio ? 0 : 1)
            .ThenBy(s => s.Mode == Scenario.Sequential ? 0 : 1)
            .ThenBy(s => s.Size)
            .ThenBy(s => s.Implementation switch { Scenario.Raw => 0, Scenario.Plugboard => 1, _ => 2 }))
        {
            var group = $"{scenario.Transport}/{scenario.Mode}";
            if (lastGroup is not null && group != lastGroup)
            {
                text.AppendLine();
            }

            lastGroup = group;
            var median = Median(scenario)!;
            var mode = scenario.Mode == Scenario.Pipelined ? "64 in flight" : scenario.Mode;
            text.AppendLine(string.Format(
                CultureInfo.InvariantCulture,
                "{0,-10} {1,-8} {2,-19} {3,-11} {4,11:N1} {5,12:N0} {6,12}",
                scenario.Transport,
                scenario.PayloadLabel,
                scenario.Implementation,
                mode,
                median.MicrosecondsPerOp,
                median.OpsPerSecond,
                median.AllocatedBytesPerOp is { } bytes ? bytes.ToString("N0", CultureInfo.InvariantCulture) : "n/a"));
        }

        foreach (var (what, reason) in _skipped)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{what}: skipped: {reason}");
        }

        text.AppendLine();
        text.AppendLine("Ratios (median of the per-round ratios; baseline and subject alternate within each round):");
        foreach (var target in targets)
        {
            var ratio = MedianRatio(target);
            var verdict = ratio is not { } r ? "skipped" : target.IsGoal ? (target.Met(r) ? "MET" : "MISSED") : "(reference)";
            var goal = target.IsGoal ? $"target {target.Requirement}" : string.Empty;
            text.AppendLine(string.Format(
                CultureInfo.InvariantCulture,
                "  {0,-62} {1,8} {2,-14} {3}",
                target.Name,
                ratio is { } value ? value.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-",
                goal,
                verdict));
        }

        return text.ToString();
    }

    public void WriteJson(Stream stream, IReadOnlyList<Target> targets, IReadOnlyDictionary<string, string> environment)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteStartObject("environment");
        foreach (var (name, value) in environment)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("scenarios");
        foreach (var scenario in _scenarios)
        {
            writer.WriteStartObject();
            writer.WriteString("id", scenario.Id);
            writer.WriteString("transport", scenario.Transport);
            writer.WriteString("payload", scenario.PayloadLabel);
            writer.WriteString("implementation", scenario.Implementation);
            writer.WriteString("mode", scenario.Mode);
            writer.WritePropertyName("median");
            WriteSample(writer, Median(scenario)!);
            writer.WriteStartArray("rounds");
            foreach (var sample in _samples[scenario.Id])
            {
                if (sample is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    WriteSample(writer, sample);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("ratios");
        foreach (var target in targets)
        {
            var ratio = MedianRatio(target);
            writer.WriteStartObject();
            writer.WriteString("name", target.Name);
            writer.WriteString("subject", target.Subject.Id);
            writer.WriteString("baseline", target.Baseline.Id);
            writer.WriteString("metric", target.Throughput ? "ops_per_second" : "microseconds_per_op");
            if (ratio is { } r)
            {
                writer.WriteNumber("median_ratio", Math.Round(r, 3));
            }
            else
            {
                writer.WriteNull("median_ratio");
            }

            if (target.IsGoal)
            {
                writer.WriteString("target", target.Requirement);
                if (ratio is { } value)
                {
                    writer.WriteBoolean("met", target.Met(value));
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("skipped");
        foreach (var (what, reason) in _skipped)
        {
            writer.WriteString(what, reason);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteSample(Utf8JsonWriter writer, Sample sample)
    {
        writer.WriteStartObject();
        writer.WriteNumber("microseconds_per_op", Math.Round(sample.MicrosecondsPerOp, 2));
        writer.WriteNumber("ops_per_second", Math.Round(sample.OpsPerSecond, 1));
        if (sample.AllocatedBytesPerOp is { } bytes)
        {
            writer.WriteNumber("allocated_bytes_per_op", Math.Round(bytes, 1));
        }
        else
        {
            writer.WriteNull("allocated_bytes_per_op");
        }

        writer.WriteNumber("operations", sample.Operations);
        writer.WriteEndObject();
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
