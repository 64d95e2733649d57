using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// An <see cref="ILogger"/> that keeps every entry, at every level. With Trace enabled the engine logs each message it
/// sends (<c>--&gt; json</c>) and receives (<c>&lt;-- json</c>), which lets a test see the wire without a mock transport.
/// </summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue($"{logLevel}: {formatter(state, exception)}");

    /// <summary>Whether a received message (a trace entry starting with <c>&lt;--</c>) contains all of the given fragments.</summary>
    public bool Received(params string[] fragments) => Matches("Trace: <-- ", fragments);

    /// <summary>Whether a sent message (a trace entry starting with <c>--&gt;</c>) contains all of the given fragments.</summary>
    public bool Sent(params string[] fragments) => Matches("Trace: --> ", fragments);

    private bool Matches(string prefix, string[] fragments)
        => _entries.Any(e => e.StartsWith(prefix, StringComparison.Ordinal) && fragments.All(f => e.Contains(f, StringComparison.Ordinal)));
}

/// <summary>An <see cref="IProgress{T}"/> that reports synchronously on the caller's thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
