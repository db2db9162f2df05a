using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tessera.Analytics;

namespace Tessera;

/// <summary>Registers <see cref="TesseraAnalytics"/>.</summary>
public static class TesseraAnalyticsServiceCollectionExtensions
{
    /// <summary>
    /// Counts logins, creations, rotations, revocations and expirations per day in Redis (kept 8 days)
    /// through an <see cref="ITesseraObserver"/>; optionally feeds a capped event stream. Call beside <c>AddTessera()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options, or <see langword="null"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTesseraAnalytics(this IServiceCollection services, Action<TesseraAnalyticsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TesseraAnalyticsOptions>()
            .Validate(static o => o.StreamMaxLength is >= 100 and <= 10_000_000, "TesseraAnalyticsOptions.StreamMaxLength must be between 100 and 10,000,000.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(static sp => new TesseraAnalytics(
            sp.GetRequiredService<TesseraConnection>(),
            sp.GetRequiredService<IOptions<TesseraOptions>>(),
            sp.GetRequiredService<IOptions<TesseraAnalyticsOptions>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<TesseraAnalytics>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITesseraObserver, TesseraAnalytics>(static sp => sp.GetRequiredService<TesseraAnalytics>()));
        return services;
    }
}
