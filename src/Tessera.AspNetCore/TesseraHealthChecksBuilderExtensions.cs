using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Adds Tessera's health check.</summary>
public static class TesseraHealthChecksBuilderExtensions
{
    /// <summary>Adds a check that is healthy while Redis answers within the operation timeout.</summary>
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
}
