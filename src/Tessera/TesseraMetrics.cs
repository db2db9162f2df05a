using System.Diagnostics.Metrics;

namespace Tessera;

/// <summary>The <c>Tessera</c> meter: counts and timings of session operations.</summary>
public sealed class TesseraMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Tessera";

    private readonly Meter _meter;

    /// <summary>Creates the instruments, on a meter from <paramref name="meterFactory"/> when given.</summary>
    /// <param name="meterFactory">The app's meter factory, or <see langword="null"/>.</param>
    public TesseraMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Created = _meter.CreateCounter<long>("tessera.sessions.created", description: "Sessions created.");
        Destroyed = _meter.CreateCounter<long>("tessera.sessions.destroyed", description: "Sessions destroyed (logout).");
        Rotated = _meter.CreateCounter<long>("tessera.sessions.rotated", description: "Session identifiers rotated.");
        Revoked = _meter.CreateCounter<long>("tessera.sessions.revoked", description: "Sessions revoked.");
        Corrupt = _meter.CreateCounter<long>("tessera.sessions.corrupt", description: "Keys that held data that is not a session.");
        BindingRejected = _meter.CreateCounter<long>("tessera.sessions.binding_rejected", description: "Requests whose client did not match the session's binding.");
        Errors = _meter.CreateCounter<long>("tessera.errors", description: "Redis operations that failed or timed out.");
        LockWaits = _meter.CreateHistogram<double>("tessera.lock.wait", unit: "ms", description: "Time spent waiting for a session lock.");
        LoadDuration = _meter.CreateHistogram<double>("tessera.load.duration", unit: "ms", description: "Session load latency.");
        CommitBytes = _meter.CreateHistogram<long>("tessera.commit.bytes", unit: "By", description: "Bytes written per commit.");
    }

    /// <summary>Sessions created.</summary>
    public Counter<long> Created { get; }

    /// <summary>Sessions destroyed.</summary>
    public Counter<long> Destroyed { get; }

    /// <summary>Identifiers rotated.</summary>
    public Counter<long> Rotated { get; }

    /// <summary>Sessions revoked.</summary>
    public Counter<long> Revoked { get; }

    /// <summary>Corrupt sessions met.</summary>
    public Counter<long> Corrupt { get; }

    /// <summary>Binding mismatches.</summary>
    public Counter<long> BindingRejected { get; }

    /// <summary>Failed Redis operations.</summary>
    public Counter<long> Errors { get; }

    /// <summary>Lock wait times.</summary>
    public Histogram<double> LockWaits { get; }

    /// <summary>Load latency.</summary>
    public Histogram<double> LoadDuration { get; }

    /// <summary>Bytes per commit.</summary>
    public Histogram<long> CommitBytes { get; }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
