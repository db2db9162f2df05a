using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Registers Tessera in the service collection.</summary>
public static class TesseraServiceCollectionExtensions
{
    /// <summary>
    /// Adds Tessera's session store and its <c>ISession</c>. Options are validated at start-up: a bad
    /// option stops the app with a message that names it. Use an <see cref="IConnectionMultiplexer"/>
    /// registered by the app, or set <see cref="TesseraOptions.Configuration"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTessera(this IServiceCollection services, Action<TesseraSessionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TesseraSessionOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TesseraSessionOptions>, TesseraSessionOptionsValidator>());
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
            sp.GetServices<ITesseraObserver>()));
        services.AddSingleton<IValidateOptions<TesseraSessionOptions>, ConnectionSourceValidator>();
        return services;
    }

    /// <summary>Fails start-up when no Redis is configured at all.</summary>
    private sealed class ConnectionSourceValidator(IServiceProvider services) : IValidateOptions<TesseraSessionOptions>
    {
        public ValidateOptionsResult Validate(string? name, TesseraSessionOptions options) =>
            options.Configuration is null && options.ConnectionMultiplexerFactory is null
                && services.GetService<IConnectionMultiplexer>() is null
                ? ValidateOptionsResult.Fail(
                    "TesseraOptions.Configuration: no Redis configured. Set it (for example 'localhost:6379'), " +
                    "set ConnectionMultiplexerFactory, or register an IConnectionMultiplexer.")
                : ValidateOptionsResult.Success;
    }
}
