using Microsoft.Extensions.Logging;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Tests.Supervision;

public sealed class StderrCaptureTests
{
    [Fact]
    public void Add_JsonLineWithScope_LogsAtItsLevelInsideTheScope()
    {
        var logger = new ScopeRecordingLogger();
        var capture = new StderrCapture(10, logger);

        capture.Add("""{"level":"Warning","message":"disk almost full","category":"Acme.Disk","scope":[{"botId":"b7"},"request 12"]}""");

        var (level, message, scope) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("disk almost full", message, StringComparison.Ordinal);
        Assert.Contains("Acme.Disk", message, StringComparison.Ordinal);
        Assert.Equal("b7", scope!["botId"]);
        Assert.Equal("request 12", scope["scope1"]);
    }

    [Fact]
    public void Add_PlainAndBrokenJsonLines_LoggedAtInformationAndKeptInRing()
    {
        var logger = new ScopeRecordingLogger();
        var capture = new StderrCapture(2, logger);

        capture.Add("plain text");
        capture.Add("{not json");
        capture.Add("third");

        Assert.All(logger.Entries, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.Equal(["{not json", "third"], capture.Tail());
    }

    private sealed class ScopeRecordingLogger : ILogger
    {
        private IReadOnlyDictionary<string, object?>? _scope;

        public List<(LogLevel Level, string Message, IReadOnlyDictionary<string, object?>? Scope)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            _scope = state as IReadOnlyDictionary<string, object?>;
            return new Reset(this);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Add((logLevel, formatter(state, exception), _scope));

        private sealed class Reset(ScopeRecordingLogger owner) : IDisposable
        {
            public void Dispose() => owner._scope = null;
        }
    }
}
