using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Ties cookie authentication to Tessera.</summary>
public static class TesseraAuthenticationExtensions
{
    /// <summary>
    /// Keeps cookie-authentication tickets in Redis (<see cref="TesseraTicketStore"/>), so logins are
    /// revocable server-side, and, when <paramref name="rotateSessionOnSignIn"/> is set, binds the
    /// request's Tessera session to the user and rotates its id whenever a cookie sign-in happens.
    /// Call after <c>AddTessera()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="rotateSessionOnSignIn">Whether sign-in rotates the session id and binds it to the user.</param>
    /// <param name="endSessionOnSignOut">Whether a cookie sign-out ends the request's Tessera session (the default: nothing of the signed-out user stays in the browser's session), rather than leave it as it is.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTesseraTicketStore(this IServiceCollection services, bool rotateSessionOnSignIn = true, bool endSessionOnSignOut = true) =>
        services.AddTesseraTicketStore(o =>
        {
            o.RotateSessionOnSignIn = rotateSessionOnSignIn;
            o.EndSessionOnSignOut = endSessionOnSignOut;
        });

    /// <summary>
    /// Keeps cookie-authentication tickets in Redis (<see cref="TesseraTicketStore"/>), configured:
    /// session rotation on sign-in, the session's end on sign-out, and the user key logins are indexed under.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddTesseraTicketStore(this IServiceCollection services, Action<TesseraAuthenticationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        services.TryAddSingleton<TesseraTicketStore>();

        // Once each, however often this is called (AddTesseraIdentity calls it too): a hook registered
        // twice would rotate twice. Each one decides per scheme, from the options, whether it applies.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, TesseraTicketStoreSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, RotateOnSignInSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<CookieAuthenticationOptions>, EndOnSignOutSetup>());
        return services;
    }

    private sealed class EndOnSignOutSetup(IOptions<TesseraAuthenticationOptions> settings) : IPostConfigureOptions<CookieAuthenticationOptions>
    {
        public void PostConfigure(string? name, CookieAuthenticationOptions options)
        {
            // Only a login's sign-out ends the session: Identity's login page signs its external scheme
            // out on every visit, and a guest's cart must survive that.
            if (!settings.Value.EndSessionOnSignOut || !settings.Value.IsLoginScheme(name))
            {
                return;
            }

            options.Events ??= new CookieAuthenticationEvents();
            var previous = options.Events.OnSigningOut;
            options.Events.OnSigningOut = async context =>
            {
                await previous(context).ConfigureAwait(false);
                if (context.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.ISessionFeature>()?.Session is ITesseraSession session)
                {
                    await session.DestroyAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
                }
            };
        }
    }

    private sealed class RotateOnSignInSetup(TesseraTicketStore tickets, IOptions<TesseraAuthenticationOptions> settings) : IPostConfigureOptions<CookieAuthenticationOptions>
    {
        public void PostConfigure(string? name, CookieAuthenticationOptions options)
        {
            // Only a completed sign-in binds the session to the user and counts as an authentication:
            // not the password step of a two-factor login, nor an external provider's answer.
            if (!settings.Value.RotateSessionOnSignIn || !settings.Value.IsLoginScheme(name))
            {
                return;
            }

            options.Events ??= new CookieAuthenticationEvents();
            var previous = options.Events.OnSigningIn;
            options.Events.OnSigningIn = async context =>
            {
                await previous(context).ConfigureAwait(false);
                var user = context.Principal is { } principal ? tickets.UserKeyOf(principal) : null;
                if (user is not null && context.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.ISessionFeature>()?.Session is TesseraSession session)
                {
                    // With the ticket in Tessera, the session is the login's companion: one device, counted once.
                    var companion = context.Options.SessionStore is TesseraTicketStore;
                    await session.SignInAsync(user, companion, TesseraAuthenticationOptions.SignInMethodOf(context.Principal!, context.Properties), context.HttpContext.RequestAborted).ConfigureAwait(false);
                }
            };
        }
    }
}
