using System.ComponentModel.DataAnnotations;

namespace Tessera;

/// <summary>
/// The circuit breaker in front of every Redis call: one call that timed out or found no connection
/// (or replies out of step) opens it, at any traffic, and from then on calls fail at once with
/// <see cref="TesseraUnavailableException"/> (a 503, or what <c>OutagePolicy</c> says) instead of each
/// waiting <see cref="TesseraOptions.OperationTimeout"/>. While it is open a background probe, never a
/// user's request, PINGs Redis every <see cref="ProbeInterval"/>; the first answer closes it. A server
/// that answers but refuses writes (<c>OOM</c>, <c>NOREPLICAS</c>, <c>READONLY</c>) never opens it, so
/// reads go on.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public class CircuitBreakerOptions
{
    /// <summary>Whether the breaker is on.</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How long the background probe waits between PINGs while the breaker is open.</summary>
    /// <value>Default 250 milliseconds: service resumes within about that of Redis answering.</value>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TesseraDefaults.CircuitProbeInterval;
}
