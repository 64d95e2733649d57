using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Supervision;

/// <summary>
/// Drains a plugin's stderr continuously: JSON lines (<c>{"level":..,"message":..}</c>) become structured log entries
/// at their level, other lines are logged at Information; the last lines are kept in a ring buffer for crash reports.
/// </summary>
internal sealed class StderrCapture
{
    private const int MaxLineLength = 16 * 1024;
    private readonly string[] _ring;
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private long _count;

    public StderrCapture(int capacity, ILogger logger)
    {
        _ring = new string[capacity];
        _logger = logger;
    }

    /// <summary>Raised for every line (for <c>plugin logs --follow</c>).</summary>
    public event Action<string>? LineReceived;

    /// <summary>The last lines, oldest first.</summary>
    public IReadOnlyList<string> Tail(int? max = null)
    {
        lock (_lock)
        {
            var available = (int)Math.Min(_count, _ring.Length);
            var take = Math.Min(available, max ?? available);
            var result = new string[take];
            for (var i = 0; i < take; i++)
            {
                result[i] = _ring[(_count - take + i) % _ring.Length];
            }

            return result;
        }
    }

    /// <summary>Reads the stream to its end.</summary>
    public async Task PumpAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length > MaxLineLength)
                {
                    line = string.Concat(line.AsSpan(0, MaxLineLength), "…");
                }

                Add(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process is gone.
        }
    }

    internal void Add(string line)
    {
        lock (_lock)
        {
            _ring[_count % _ring.Length] = line;
            _count++;
        }

        LogLine(line);
        LineReceived?.Invoke(line);
    }

    private void LogLine(string line)
    {
        if (line.Length > 1 && line[0] == '{' && TryParseJson(line, out var level, out var message, out var category, out var exception, out var scope))
        {
            if (_logger.IsEnabled(level))
            {
                // The plugin's scope (e.g. {"botId":"..."}) stays structured in the runtime's log.
                using var _ = scope is null ? null : _logger.BeginScope(scope);
                RuntimeLog.PluginStructuredLog(_logger, level, category ?? "plugin", message, exception);
            }

            return;
        }

        RuntimeLog.PluginStderr(_logger, line);
    }

    private static bool TryParseJson(string line, out LogLevel level, out string message, out string? category, out string? exception, out Dictionary<string, object?>? scope)
    {
        level = LogLevel.Information;
        message = line;
        category = null;
        exception = null;
        scope = null;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                message = m.GetString()!;
            }
            else if (root.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String)
            {
                message = msg.GetString()!;
            }

            if ((root.TryGetProperty("level", out var l) || root.TryGetProperty("severity", out l)) && l.ValueKind == JsonValueKind.String)
            {
                level = ParseLevel(l.GetString()!);
            }

            if (root.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String)
            {
                category = c.GetString();
            }

            if (root.TryGetProperty("exception", out var e) && e.ValueKind == JsonValueKind.String)
            {
                exception = e.GetString();
            }

            if (root.TryGetProperty("scope", out var s))
            {
                scope = ReadScope(s);
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads a scope as the SDK writes it (an array of objects and strings) or as one object.</summary>
    private static Dictionary<string, object?>? ReadScope(JsonElement scope)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var item in scope.ValueKind == JsonValueKind.Array ? scope.EnumerateArray() : (IEnumerable<JsonElement>)[scope])
        {
            if (item.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in item.EnumerateObject())
                {
                    values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
                }
            }
            else if (item.ValueKind == JsonValueKind.String)
            {
                values["scope" + values.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)] = item.GetString();
            }
        }

        return values.Count == 0 ? null : values;
    }

    private static LogLevel ParseLevel(string text) => text.ToUpperInvariant() switch
    {
        "TRACE" or "VERBOSE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFORMATION" or "INFO" => LogLevel.Information,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" or "FAIL" => LogLevel.Error,
        "CRITICAL" or "FATAL" or "CRIT" => LogLevel.Critical,
        _ => LogLevel.Information,
    };
}
