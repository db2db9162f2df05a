using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tessera.Redis;

namespace Tessera.AspNetCore;

/// <summary>
/// PINGs Redis within the operation timeout, outside the circuit breaker (so it sees Redis come back
/// by itself): no answer is the registration's failure status; an answer slower than the degraded
/// latency, or while the breaker has not closed yet, is <see cref="HealthStatus.Degraded"/>; otherwise healthy.
/// </summary>
internal sealed class TesseraHealthCheck(RedisSessionStore store, TimeSpan? degradedLatency = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var breaker = store.Redis.BreakerState;
        try
        {
            var db = await store.Connection.GetDatabaseAsync().ConfigureAwait(false);
            var latency = await db.PingAsync().WaitAsync(store.Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            breaker = store.Redis.BreakerState;
            var capabilities = store.Connection.Capabilities;
            var data = new Dictionary<string, object>
            {
                ["latency_ms"] = Math.Round(latency.TotalMilliseconds, 1),
                ["circuit"] = breaker.ToString(),
                // What the server lacks of the optional commands: the features that need them are off.
                ["capabilities"] = capabilities.ToString(),
                ["replies_checked"] = store.Connection.ChecksReplies,
            };
            var slow = degradedLatency ?? store.Options.OperationTimeout / 4;
            if (breaker != BreakerState.Closed)
            {
                return HealthCheckResult.Degraded($"Redis answered in {latency.TotalMilliseconds:0.0} ms; the circuit breaker is {breaker} (recovering).", data: data);
            }

            return latency > slow
                ? HealthCheckResult.Degraded($"Redis answered in {latency.TotalMilliseconds:0.0} ms, slower than {slow.TotalMilliseconds:0} ms.", data: data)
                : HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms; server capabilities: {capabilities}.", data);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                $"Redis did not answer a PING within {store.Options.OperationTimeout.TotalSeconds:0.###} s; the circuit breaker is {breaker}.",
                ex,
                new Dictionary<string, object> { ["circuit"] = breaker.ToString() });
        }
    }
}
