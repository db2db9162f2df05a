using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Ties ASP.NET Core Identity to Tessera.</summary>
public static class TesseraIdentityExtensions
{
    /// <summary>
    /// Wires Identity to Tessera (docs/identity.md): the application cookie's tickets go to Redis
    /// (<see cref="TesseraTicketStore"/>) and only its sign-in is a login (a device, a rotated session
    /// bound to the user, an authentication time) and only its sign-out ends the session; Identity's
    /// external and two-factor cookies are steps of a sign-in and leave the session alone. Identity's own
    /// account changes end sessions at once (<see cref="TesseraUserManager{TUser}"/>). Call on the builder
    /// <c>AddDefaultIdentity()</c> or <c>AddIdentity()</c> returns, with <c>AddTessera()</c> registered.
    /// </summary>
    /// <param name="builder">The Identity builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IdentityBuilder AddTesseraIdentity(this IdentityBuilder builder) => builder.AddTesseraIdentity(static _ => { });

    /// <summary>As <see cref="AddTesseraIdentity(IdentityBuilder)"/>, with the ticket store's options (the user key, rotation, sign-out).</summary>
    /// <param name="builder">The Identity builder.</param>
    /// <param name="configure">Sets the options; <see cref="TesseraAuthenticationOptions.LoginSchemes"/> starts as Identity's application scheme.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The user type is a reference type: the instantiation shares canonical code.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The user type is the app's own, kept by Identity's registrations.")]
    public static IdentityBuilder AddTesseraIdentity(this IdentityBuilder builder, Action<TesseraAuthenticationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddTesseraTicketStore(o =>
        {
            o.LoginSchemes.Clear();
            o.LoginSchemes.Add(IdentityConstants.ApplicationScheme);
            configure(o);
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.TryAddScoped<IdentitySessionEnder>();

        // As IdentityBuilder.AddUserManager<T>(): UserManager<TUser> resolves to the Tessera one.
        var managerType = typeof(UserManager<>).MakeGenericType(builder.UserType);
        var tesseraType = typeof(TesseraUserManager<>).MakeGenericType(builder.UserType);
        builder.Services.Replace(ServiceDescriptor.Scoped(managerType, tesseraType));
        builder.Services.TryAddScoped(tesseraType, services => services.GetRequiredService(managerType));
        return builder;
    }
}
