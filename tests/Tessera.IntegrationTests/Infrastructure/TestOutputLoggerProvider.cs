using Microsoft.Extensions.Logging;

namespace Tessera.IntegrationTests;

/// <summary>
/// Writes an app's warnings and errors (a breaker opening, a failed commit, a refused id) into the
/// output of the test that started it, so a test that fails shows why the app answered as it did
/// instead of only the status code it got.
/// </summary>
public sealed class TestOutputLoggerProvider : ILoggerProvider
{
    private readonly ITestOutputHelper? _output;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    /// <summary>Writes to the output of the test running now, if any.</summary>
    public TestOutputLoggerProvider() => _output = TestContext.Current.TestOutputHelper;

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private void Write(string line)
    {
        try
        {
            _output?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended (a background probe or refresh logging after it): nobody reads this.
        }
    }

    private sealed class Logger(TestOutputLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var at = (DateTimeOffset.UtcNow - owner._started).TotalMilliseconds;
                owner.Write($"[app +{at:0} ms] {logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
            }
        }
    }
}
