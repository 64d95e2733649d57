using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Plugboard.Mcp.Tests.Infrastructure;

/// <summary>
/// The tests' logger factory: silent unless <c>PLUGBOARD_TEST_LOG</c> names a file, which then receives every entry
/// (for diagnosing a failing test without changing it).
/// </summary>
internal static class TestLog
{
    public static ILoggerFactory Create()
        => Environment.GetEnvironmentVariable("PLUGBOARD_TEST_LOG") is { Length: > 0 } path ? new FileLoggerFactory(path) : NullLoggerFactory.Instance;

    private sealed class FileLoggerFactory(string path) : ILoggerFactory
    {
        private readonly Lock _lock = new();

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

        public void Dispose()
        {
        }

        private void Write(string line)
        {
            lock (_lock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }

        private sealed class FileLogger(FileLoggerFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
        }
    }
}
