using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tessera.AspNetCore;

/// <summary>Healthy when Redis answers a PING within the operation timeout.</summary>
internal sealed class TesseraHealthCheck(RedisSessionStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var db = await store.Connection.GetDatabaseAsync().ConfigureAwait(false);
            var latency = await db.PingAsync().WaitAsync(store.Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception ex) when (RedisSessionStore.IsUnavailable(ex))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis did not answer a PING in time.", ex);
        }
    }
}
