using System.ComponentModel.DataAnnotations;

namespace Tessera;

/// <summary>
/// The circuit breaker in front of every Redis call of the store: once enough calls in
/// <see cref="SamplingDuration"/> timed out or found no connection, calls fail at once with
/// <see cref="TesseraUnavailableException"/> (a 503) for <see cref="BreakDuration"/> instead of each
/// waiting <see cref="TesseraOptions.OperationTimeout"/>; then one call at a time probes Redis, and
/// the first that succeeds closes the breaker. Only Redis not answering counts: a server that answers
/// but refuses writes (<c>OOM</c>, <c>NOREPLICAS</c>, <c>READONLY</c>) never opens it, so reads go on.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public class CircuitBreakerOptions
{
    /// <summary>Whether the breaker is on.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of failed calls within <see cref="SamplingDuration"/> that opens the breaker.</summary>
    /// <value>Default 0.5.</value>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = TesseraDefaults.CircuitFailureRatio;

    /// <summary>How many calls <see cref="SamplingDuration"/> must hold before the ratio is judged.</summary>
    /// <value>Default 4.</value>
    [Range(2, 100_000)]
    public int MinimumThroughput { get; set; } = TesseraDefaults.CircuitMinimumThroughput;

    /// <summary>
    /// The window over which outcomes are counted; <see langword="null"/> means
    /// <see cref="TesseraOptions.OperationTimeout"/> (at least 500 ms). Keep it short: a call that
    /// times out is counted when the bound ends, so a window much longer than the bound still holds
    /// the successes from before Redis hung, and under heavy traffic the breaker opens only once they
    /// have aged out of it (about the window's length after the hang began).
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan? SamplingDuration { get; set; }

    /// <summary>How long the breaker stays open before one call probes Redis again.</summary>
    /// <value>Default 500 milliseconds (the least Polly allows), so service resumes within about a second of Redis answering.</value>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan BreakDuration { get; set; } = TesseraDefaults.CircuitBreakDuration;
}
