using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Adds Tessera's health check.</summary>
public static class TesseraHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that is healthy while Redis answers within the operation timeout, degraded while it
    /// answers slowly or the circuit breaker is recovering, and unhealthy when it does not answer.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags, for filtering.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddTessera(this IHealthChecksBuilder builder, string name = "tessera", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            static sp => new TesseraHealthCheck(sp.GetRequiredService<RedisSessionStore>()),
            HealthStatus.Unhealthy,
            tags));
    }

    /// <summary>
    /// Adds the check with its failure status and degraded latency chosen: for a liveness probe set
    /// <see cref="TesseraHealthCheckOptions.FailureStatus"/> to <see cref="HealthStatus.Degraded"/>, so
    /// a Redis outage does not restart every pod (docs/operations.md, readiness and liveness).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentException">A name that is empty, or a degraded latency that is not positive.</exception>
    public static IHealthChecksBuilder AddTessera(this IHealthChecksBuilder builder, Action<TesseraHealthCheckOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TesseraHealthCheckOptions();
        configure(options);
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            throw new ArgumentException("TesseraHealthCheckOptions.Name must not be empty.", nameof(configure));
        }

        if (options.DegradedLatency is { } latency && latency <= TimeSpan.Zero)
        {
            throw new ArgumentException($"TesseraHealthCheckOptions.DegradedLatency ({latency}) must be positive.", nameof(configure));
        }

        var degraded = options.DegradedLatency;
        return builder.Add(new HealthCheckRegistration(
            options.Name,
            sp => new TesseraHealthCheck(sp.GetRequiredService<RedisSessionStore>(), degraded),
            options.FailureStatus,
            [.. options.Tags]));
    }
}
