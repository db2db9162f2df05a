using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tessera.AspNetCore;

/// <summary>Options of Tessera's health check (<c>AddHealthChecks().AddTessera(o => ...)</c>).</summary>
public sealed class TesseraHealthCheckOptions
{
    /// <summary>The check's name.</summary>
    /// <value>Default <c>tessera</c>.</value>
    public string Name { get; set; } = "tessera";

    /// <summary>Tags, for filtering (for example <c>ready</c>, so only the readiness endpoint runs it).</summary>
    public ICollection<string> Tags { get; } = new List<string>();

    /// <summary>
    /// What the check reports when Redis does not answer a PING within the operation timeout.
    /// <see cref="HealthStatus.Unhealthy"/> suits a readiness probe (the load balancer stops sending
    /// session traffic here); for a liveness probe use <see cref="HealthStatus.Degraded"/>, or leave
    /// the check out of it, so a Redis outage does not restart every pod.
    /// </summary>
    /// <value>Default <see cref="HealthStatus.Unhealthy"/>.</value>
    public HealthStatus FailureStatus { get; set; } = HealthStatus.Unhealthy;

    /// <summary>
    /// A PING slower than this reports <see cref="HealthStatus.Degraded"/>; <see langword="null"/> means
    /// a quarter of <see cref="TesseraOptions.OperationTimeout"/>.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public TimeSpan? DegradedLatency { get; set; }
}
