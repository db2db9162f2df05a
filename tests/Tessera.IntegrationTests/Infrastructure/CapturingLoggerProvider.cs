using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tessera.IntegrationTests;

/// <summary>Keeps every log line (message and exception text) an app writes, for tests that read them.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    /// <summary>The lines: level, event id, message and the exception's full text.</summary>
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Text)> Lines { get; } = new();

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((logLevel, eventId, formatter(state, exception) + (exception is null ? string.Empty : "\n" + exception)));
    }
}
