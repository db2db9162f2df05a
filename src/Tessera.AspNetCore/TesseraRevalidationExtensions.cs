using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Ends live connections (Blazor Server circuits, SignalR connections) whose Tessera login or session was revoked.</summary>
public static class TesseraRevalidationExtensions
{
    /// <summary>
    /// Makes a Blazor Server circuit's user anonymous within <see cref="TesseraRevalidationOptions.Interval"/>
    /// (default 1 s) of its login being ended on any instance: the circuit's
    /// <see cref="AuthenticationStateProvider"/> re-checks the login it was opened with (one <c>HMGET</c>
    /// per circuit per interval). Needs <c>AddTesseraTicketStore()</c> (the login is the ticket).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the interval, if given.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTesseraBlazorRevalidation(this IServiceCollection services, Action<TesseraRevalidationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddOptions(services, configure);

        // Not TryAdd: Blazor's own registration (a TryAdd) must not win when it came first.
        services.AddScoped<AuthenticationStateProvider, TesseraRevalidatingAuthenticationStateProvider>();
        return services;
    }

    /// <summary>
    /// Closes every SignalR connection (of every hub) opened with a Tessera login, or a signed-in Tessera
    /// session, within <see cref="TesseraRevalidationOptions.Interval"/> (default 1 s) of that login or
    /// session being ended on any instance. A hub filter watches the connections; one pipelined round trip
    /// per instance per interval re-checks them all (one <c>HMGET</c> per distinct login).
    /// </summary>
    /// <param name="builder">The SignalR builder (<c>AddSignalR()</c>).</param>
    /// <param name="configure">Sets the interval, if given.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static ISignalRServerBuilder AddTesseraHubRevalidation(this ISignalRServerBuilder builder, Action<TesseraRevalidationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        AddOptions(services, configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LiveConnectionRegistry>();
        services.TryAddSingleton<TesseraHubFilter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LiveConnectionRegistry>(static sp => sp.GetRequiredService<LiveConnectionRegistry>()));
        if (!services.Any(static d => d.ServiceType == typeof(HubFilterMarker)))
        {
            services.AddSingleton<HubFilterMarker>();
            services.Configure<HubOptions>(static o => o.AddFilter<TesseraHubFilter>());
        }

        return builder;
    }

    private static void AddOptions(IServiceCollection services, Action<TesseraRevalidationOptions>? configure)
    {
        services.AddOptionsWithValidateOnStart<TesseraRevalidationOptions, TesseraRevalidationOptionsValidator>();
        if (configure is not null)
        {
            services.Configure(configure);
        }
    }

    /// <summary>Marks that the hub filter is registered (a second call must not add it twice).</summary>
    private sealed class HubFilterMarker;
}
