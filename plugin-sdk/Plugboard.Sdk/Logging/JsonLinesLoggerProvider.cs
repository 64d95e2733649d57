using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Plugboard.Sdk.Logging;

/// <summary>
/// Writes each log entry as one JSON object per line to stderr, which the runtime parses into structured entries:
/// <c>{"timestamp":"…","level":"Information","category":"…","message":"…","exception":null,"scope":[…]}</c>.
/// <c>level</c> is a <see cref="LogLevel"/> name; <c>exception</c> is the exception's text or null; <c>scope</c> is
/// present only inside logging scopes (strings, or objects for key/value scopes).
/// </summary>
internal sealed class JsonLinesLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly Stream _output;
    private readonly Lock _writeLock = new();
    private readonly ConcurrentDictionary<string, JsonLinesLogger> _loggers = new(StringComparer.Ordinal);
    private IExternalScopeProvider? _scopes;

    public JsonLinesLoggerProvider(Stream output)
    {
        _output = output;
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, provider) => new JsonLinesLogger(name, provider), this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    internal IExternalScopeProvider? Scopes => _scopes;

    internal void Write<TState>(string category, LogLevel level, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp"u8, DateTimeOffset.UtcNow);
            writer.WriteString("level"u8, LevelName(level));
            writer.WriteString("category"u8, category);
            writer.WriteString("message"u8, formatter(state, exception));
            if (exception is null)
            {
                writer.WriteNull("exception"u8);
            }
            else
            {
                writer.WriteString("exception"u8, exception.ToString());
            }

            WriteScopes(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        lock (_writeLock)
        {
            try
            {
                _output.Write(buffer.WrittenSpan);
                _output.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // stderr is gone (the runtime died or closed it); logging must never take the plugin down.
            }
        }
    }

    private void WriteScopes(Utf8JsonWriter writer)
    {
        if (_scopes is not { } scopes)
        {
            return;
        }

        var started = false;
        scopes.ForEachScope(
            (scope, w) =>
            {
                if (!started)
                {
                    w.WritePropertyName("scope"u8);
                    w.WriteStartArray();
                    started = true;
                }

                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    w.WriteStartObject();
                    foreach (var (key, value) in pairs)
                    {
                        w.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    }

                    w.WriteEndObject();
                }
                else
                {
                    w.WriteStringValue(Convert.ToString(scope, System.Globalization.CultureInfo.InvariantCulture));
                }
            },
            writer);
        if (started)
        {
            writer.WriteEndArray();
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => "None",
    };
}

/// <summary>One category's logger; formatting and writing are done by the provider.</summary>
internal sealed class JsonLinesLogger : ILogger
{
    private readonly string _category;
    private readonly JsonLinesLoggerProvider _provider;

    public JsonLinesLogger(string category, JsonLinesLoggerProvider provider)
    {
        _category = category;
        _provider = provider;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
        => _provider.Scopes?.Push(state);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(formatter);
        _provider.Write(_category, logLevel, state, exception, formatter);
    }
}
