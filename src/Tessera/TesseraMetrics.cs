using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tessera;

/// <summary>The <c>Tessera</c> meter: counts and timings of session operations.</summary>
public sealed class TesseraMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Tessera";

    // Bucket bounds for sub-millisecond to multi-second calls (the default bounds start at 0, 5, 10: seconds).
    private static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    };

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
        SynchronousLoads = _meter.CreateCounter<long>("tessera.sessions.synchronous_loads", description: "Session reads that blocked a thread (ISession used before LoadAsync on an endpoint the middleware did not load ahead).");
        RevocationNotices = _meter.CreateCounter<long>("tessera.revocation.notices", description: "Revocation notices, by tessera.outcome: sent, received (from another instance), refused (not a notice), unsent (the server has no pub/sub, or is not probed yet).");
        ReplicaConfirmations = _meter.CreateCounter<long>("tessera.revocation.replicas", description: "Revocations waited on a replica for, by tessera.outcome: confirmed, unconfirmed (none acknowledged within ReplicaWait: a failover could lose it), unsupported (the server has no WAIT).");
        NearCacheReads = _meter.CreateCounter<long>("tessera.nearcache.reads", description: "Session loads with the near cache on, by tessera.outcome: hit (answered from memory), miss (read from Redis, kept if unchanged meanwhile), bypass (the cache was not active: read from Redis).");
        NearCacheResets = _meter.CreateCounter<long>("tessera.nearcache.resets", description: "Times the near cache was emptied because its invalidation connection was lost, out of step or no longer on the primary.");
        Errors = _meter.CreateCounter<long>("tessera.errors", description: "Redis operations that failed or timed out.");
        CircuitRejected = _meter.CreateCounter<long>("tessera.circuit.rejected", description: "Redis calls refused at once because the circuit breaker was open, by operation.");
        CircuitOpened = _meter.CreateCounter<long>("tessera.circuit.opened", description: "Times the circuit breaker opened (Redis stopped answering).");
        LockWaits = _meter.CreateHistogram<double>("tessera.lock.wait", unit: "s", description: "Time spent waiting for a session lock.", advice: DurationAdvice);
        LoadDuration = _meter.CreateHistogram<double>("tessera.load.duration", unit: "s", description: "Session load latency, parsing and decoding included.", advice: DurationAdvice);
        OperationDuration = _meter.CreateHistogram<double>("tessera.operation.duration", unit: "s", description: "Duration of each Redis script call, by operation and outcome.", advice: DurationAdvice);
        CommitBytes = _meter.CreateHistogram<long>("tessera.commit.bytes", unit: "By", description: "Bytes written per commit.");
        BatchSize = _meter.CreateHistogram<long>("tessera.batch.size", unit: "{call}", description: "Calls sent together in one Redis script call (counter bumps, session loads; a server that is not a Cluster), by operation.", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
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

    /// <summary>Session reads that blocked a thread for their round trip (the synchronous <c>ISession</c> path).</summary>
    public Counter<long> SynchronousLoads { get; }

    /// <summary>Revocation notices sent, received, refused or unsent, tagged <c>tessera.outcome</c> (<see cref="RevocationFeed"/>).</summary>
    public Counter<long> RevocationNotices { get; }

    /// <summary>Session loads with the near cache on, tagged <c>tessera.outcome</c>: hit, miss, bypass.</summary>
    public Counter<long> NearCacheReads { get; }

    /// <summary>Times the near cache was emptied because its invalidation connection could no longer be trusted.</summary>
    public Counter<long> NearCacheResets { get; }

    /// <summary>Revocations waited on a replica for, tagged <c>tessera.outcome</c> (<see cref="TesseraOptions.ReplicaWait"/>).</summary>
    public Counter<long> ReplicaConfirmations { get; }

    /// <summary>Failed Redis operations.</summary>
    public Counter<long> Errors { get; }

    /// <summary>Calls refused at once while the circuit breaker was open, tagged <c>tessera.operation</c>.</summary>
    public Counter<long> CircuitRejected { get; }

    /// <summary>Times the circuit breaker opened.</summary>
    public Counter<long> CircuitOpened { get; }

    /// <summary>Lock wait times.</summary>
    public Histogram<double> LockWaits { get; }

    /// <summary>Load latency.</summary>
    public Histogram<double> LoadDuration { get; }

    /// <summary>Bytes per commit.</summary>
    public Histogram<long> CommitBytes { get; }

    /// <summary>Calls per Redis script call, tagged <c>tessera.operation</c> (<c>incr</c>, <c>load</c>): more than one while they arrive faster than Redis answers.</summary>
    public Histogram<long> BatchSize { get; }

    /// <summary>Duration of each Redis script call (seconds), tagged <c>tessera.operation</c>, <c>db.system.name</c>, <c>tessera.outcome</c> and, on failure, <c>error.type</c>.</summary>
    public Histogram<double> OperationDuration { get; }

    /// <summary>Records one script call.</summary>
    /// <param name="operation">The operation (<c>load</c>, <c>commit</c>, <c>create</c>, <c>incr</c>, ...).</param>
    /// <param name="elapsed">How long it took.</param>
    /// <param name="failure">The exception it failed with, or <see langword="null"/>.</param>
    public void RecordOperation(string operation, TimeSpan elapsed, Exception? failure)
    {
        var tags = new TagList
        {
            { TesseraTelemetry.OperationTag, operation },
            { "db.system.name", "redis" },
            { TesseraTelemetry.OutcomeTag, failure is null ? "ok" : "error" },
        };
        if (failure is not null)
        {
            tags.Add("error.type", Redis.RedisFailures.ErrorType(failure));
        }

        OperationDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();
}
