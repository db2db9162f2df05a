using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.AspNetCore;
using Tessera.AspNetCore.Configuration;
using Tessera.AspNetCore.Migration;

namespace Tessera;

/// <summary>Registers Tessera in the service collection.</summary>
public static class TesseraServiceCollectionExtensions
{
    /// <summary>
    /// Adds Tessera's session store and its <c>ISession</c>, configured only by
    /// <c>services.Configure&lt;TesseraSessionOptions&gt;()</c> or <c>services.Configure&lt;TesseraOptions&gt;()</c>
    /// calls (made before or after this one). Options are validated at start-up.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTessera(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddCore(services);
    }

    /// <summary>
    /// Adds Tessera's session store and its <c>ISession</c>. Options are validated at start-up: a bad
    /// option stops the app with a message that names it. Redis is, first found:
    /// <see cref="TesseraOptions.Configuration"/>, <see cref="TesseraSessionOptions.ConnectionStringName"/>,
    /// <see cref="TesseraOptions.ConnectionMultiplexerFactory"/>, or an <see cref="IConnectionMultiplexer"/>
    /// registered in the service collection (as .NET Aspire's Redis integration registers one).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTessera(this IServiceCollection services, Action<TesseraSessionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TesseraSessionOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// Adds Tessera with options bound from a configuration section, typically
    /// <c>builder.Configuration.GetSection("Tessera")</c>; start-up errors then name the setting by its
    /// path (<c>Tessera:IdleTimeout</c>). Values such as <c>"IdleTimeout": "00:20:00"</c>,
    /// <c>"ConnectionStringName": "redis"</c> (read from <c>ConnectionStrings:redis</c>) or
    /// <c>"Cookie": { "Name": "__Host-sid" }</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding <see cref="TesseraSessionOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTessera(this IServiceCollection services, IConfiguration configuration) =>
        AddTessera(services, configuration, static _ => { });

    /// <summary>
    /// Adds Tessera with options bound from a configuration section, then changed in code (code runs
    /// after the section, so it wins).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding <see cref="TesseraSessionOptions"/>.</param>
    /// <param name="configure">Changes the bound options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTessera(this IServiceCollection services, IConfiguration configuration, Action<TesseraSessionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TesseraSessionOptions>().Bind(configuration).Configure(configure);
        AddCore(services);
        if (configuration is IConfigurationSection section)
        {
            Source(services).SectionPath = section.Path;
        }

        return services;
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        Source(services);
        services.AddOptions<TesseraSessionOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TesseraSessionOptions>, TesseraSessionOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TesseraSessionOptions>, ConnectionSourceValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<TesseraSessionOptions>, ConnectionStringResolver>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<TesseraSessionOptions>, CookieNameDefault>());
        if (!services.Any(static d => d.ServiceType == typeof(StoreOptionsBridge)))
        {
            // One instance serves as configure, post-configure and validator for TesseraSessionOptions.
            services.AddSingleton<StoreOptionsBridge>();
            services.AddSingleton<IConfigureOptions<TesseraSessionOptions>>(static sp => sp.GetRequiredService<StoreOptionsBridge>());
            services.AddSingleton<IPostConfigureOptions<TesseraSessionOptions>>(static sp => sp.GetRequiredService<StoreOptionsBridge>());
            services.AddSingleton<IValidateOptions<TesseraSessionOptions>>(static sp => sp.GetRequiredService<StoreOptionsBridge>());
        }

        // Stock AddSession() migration (built only when enabled): the stock cookie is unprotected with the app's Data Protection keys.
        services.AddDataProtection();
        services.TryAddSingleton(static sp => new StockSessionMigrator(
            sp.GetRequiredService<RedisSessionStore>(),
            sp.GetRequiredService<IOptions<TesseraSessionOptions>>().Value,
            sp.GetService<IDistributedCache>() ?? throw new InvalidOperationException(
                "StockSessionMigration.Enabled needs the IDistributedCache the stock session used: keep AddStackExchangeRedisCache() (or the app's cache) registered."),
            sp.GetRequiredService<IDataProtectionProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.AspNetCore.StockSessionMigration")));
        services.TryAddSingleton<IOptions<TesseraOptions>>(static sp =>
            Options.Create<TesseraOptions>(sp.GetRequiredService<IOptions<TesseraSessionOptions>>().Value));
        services.TryAddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<TesseraOptions>>();
            return options.Value.Configuration is null && options.Value.ConnectionMultiplexerFactory is null
                && sp.GetService<IConnectionMultiplexer>() is { } multiplexer
                ? new TesseraConnection(multiplexer, options)
                : new TesseraConnection(options);
        });
        services.TryAddSingleton(static sp => ValueCodec.Create(sp.GetRequiredService<IOptions<TesseraOptions>>().Value));
        services.TryAddSingleton(static sp => new TesseraMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(static sp => new RedisSessionStore(
            sp.GetRequiredService<TesseraConnection>(),
            sp.GetRequiredService<IOptions<TesseraOptions>>(),
            sp.GetRequiredService<ValueCodec>(),
            sp.GetRequiredService<TesseraMetrics>(),
            sp.GetService<ILogger<RedisSessionStore>>(),
            sp.GetServices<ITesseraObserver>(),
            sp.GetService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, TesseraWarmup>());
        return services;
    }

    /// <summary>The one <see cref="TesseraOptionsSource"/> of this collection, registered on first use.</summary>
    private static TesseraOptionsSource Source(IServiceCollection services)
    {
        if (services.FirstOrDefault(static d => d.ServiceType == typeof(TesseraOptionsSource))?.ImplementationInstance is TesseraOptionsSource existing)
        {
            return existing;
        }

        var source = new TesseraOptionsSource();
        services.AddSingleton(source);
        return source;
    }
}
