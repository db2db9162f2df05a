using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Analytics;
using Tessera.Dashboard;

namespace Tessera;

/// <summary>Registers the dashboard's services.</summary>
public static class TesseraDashboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds what <c>MapTesseraDashboard()</c> needs: its options, its own admin connection (opened on
    /// first use), antiforgery, and the start-up check that refuses to run a dashboard without authorization.
    /// Call after <c>AddTessera()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (the policy, the admin connection, scan pacing).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTesseraDashboard(this IServiceCollection services, Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DashboardOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddAntiforgery();
        services.TryAddSingleton<DashboardRegistrations>();
        services.TryAddSingleton(static sp => new DashboardState(
            sp.GetRequiredService<RedisSessionStore>(),
            sp.GetRequiredService<IOptions<DashboardOptions>>(),
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<DashboardState>>(),
            sp.GetService<TesseraAnalytics>(),
            sp.GetService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DashboardStartupCheck>());
        return services;
    }
}
