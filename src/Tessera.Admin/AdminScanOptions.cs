using System.ComponentModel.DataAnnotations;

namespace Tessera.Admin;

/// <summary>
/// How admin scans walk the keyspace: <c>SCAN</c> only (never <c>KEYS</c>), with a <c>COUNT</c> hint,
/// and a short pause every few batches so a large keyspace is never stalled for other clients.
/// </summary>
public sealed class AdminScanOptions
{
    /// <summary>The <c>COUNT</c> hint of each <c>SCAN</c> call: roughly how many keys one batch holds.</summary>
    /// <value>Default 1000.</value>
    [Range(1, 100_000)]
    public int Count { get; set; } = 1000;

    /// <summary>Pause after this many batches; 0 never pauses.</summary>
    /// <value>Default 10.</value>
    [Range(0, int.MaxValue)]
    public int PauseEvery { get; set; } = 10;

    /// <summary>How long each pause lasts.</summary>
    /// <value>Default 5 ms.</value>
    public TimeSpan Pause { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The database the sessions live in, or <see langword="null"/> for the connection's default.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public int? Database { get; set; }

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Count, 100_000);
        ArgumentOutOfRangeException.ThrowIfNegative(PauseEvery);
        ArgumentOutOfRangeException.ThrowIfLessThan(Pause, TimeSpan.Zero);
    }
}
