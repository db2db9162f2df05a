using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tessera.Demo.Tests;

/// <summary>
/// The demo's warnings and errors, kept in memory for the test run (the demo logs nothing to the
/// console here), so a test that meets an unexpected status can say what the demo logged.
/// </summary>
public sealed class DemoLogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The last warnings and errors, newest last, for an assertion message.</summary>
    /// <param name="count">How many at most.</param>
    /// <returns>The lines, or a note that there were none.</returns>
    public string Recent(int count = 5)
    {
        var lines = _lines.ToArray();
        return lines.Length == 0 ? "(the demo logged no warning or error)" : string.Join("\n---\n", lines.TakeLast(count));
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(DemoLogSink owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            owner._lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
            while (owner._lines.Count > 200 && owner._lines.TryDequeue(out _))
            {
            }
        }
    }
}
