using System.Diagnostics;
using StackExchange.Redis;

namespace Tessera;

/// <summary>
/// The one place every Redis call of the store is measured (scripts through <see cref="EvalAsync"/>, session reads through <c>ReadAsync</c>): a client span (<see cref="TesseraTelemetry"/>) and
/// the <c>tessera.operation.duration</c> histogram, tagged with the operation and, on failure,
/// <c>error.type</c>. Methods call <see cref="EvalAsync"/> as before; the work is in <c>EvalCoreAsync</c>.
/// </summary>
public sealed partial class RedisSessionStore
{
    private async Task<RedisResult> EvalAsync(string script, RedisKey key, RedisValue[] args, string operation, CancellationToken cancellationToken, bool idempotent = false)
    {
        using var activity = TesseraTelemetry.StartCall(operation);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await EvalCoreAsync(script, key, args, operation, cancellationToken, idempotent).ConfigureAwait(false);
            _metrics.RecordOperation(operation, Stopwatch.GetElapsedTime(started), null);
            activity?.SetTag(TesseraTelemetry.OutcomeTag, "ok");
            return reply;
        }
        catch (Exception ex)
        {
            _metrics.RecordOperation(operation, Stopwatch.GetElapsedTime(started), ex);
            TesseraTelemetry.Fail(activity, ex);
            throw;
        }
    }

    /// <summary>A session read (<c>HGETALL</c>, with its one replay), measured the same way.</summary>
    private async Task<HashEntry[]> ReadAsync(RedisKey key, CancellationToken cancellationToken)
    {
        using var activity = TesseraTelemetry.StartCall("load", "HGETALL");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = await ReadCoreAsync(key, cancellationToken).ConfigureAwait(false);
            _metrics.RecordOperation("load", Stopwatch.GetElapsedTime(started), null);
            activity?.SetTag(TesseraTelemetry.OutcomeTag, "ok");
            return reply;
        }
        catch (Exception ex)
        {
            _metrics.RecordOperation("load", Stopwatch.GetElapsedTime(started), ex);
            TesseraTelemetry.Fail(activity, ex);
            throw;
        }
    }

    /// <summary>The synchronous read (a load without a prior <c>LoadAsync</c>), measured the same way.</summary>
    private HashEntry[] Read(RedisKey key)
    {
        using var activity = TesseraTelemetry.StartCall("load", "HGETALL");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reply = ReadCore(key);
            _metrics.RecordOperation("load", Stopwatch.GetElapsedTime(started), null);
            activity?.SetTag(TesseraTelemetry.OutcomeTag, "ok");
            return reply;
        }
        catch (Exception ex)
        {
            _metrics.RecordOperation("load", Stopwatch.GetElapsedTime(started), ex);
            TesseraTelemetry.Fail(activity, ex);
            throw;
        }
    }
}
