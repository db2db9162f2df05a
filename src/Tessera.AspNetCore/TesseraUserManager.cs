using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// The <see cref="UserManager{TUser}"/> that <c>AddTesseraIdentity()</c> registers: Identity's own
/// changes to an account end the user's sessions and logins at once. A changed security stamp (a
/// password changed, set, removed or reset, an authenticator reset, two-factor turned on or off, an
/// external login removed, a new e-mail, phone number or user name, or
/// <see cref="UserManager{TUser}.UpdateSecurityStampAsync"/>) ends every other session and login of the
/// user, keeping the device of the request that made the change when that is the user's own; a lockout
/// set with <see cref="SetLockoutEndDateAsync"/> (how Identity disables an account) or a deleted account
/// ends all of them. Failed password attempts that lock an account out for a while end nothing: else
/// anyone who knows a user's e-mail could log that user out.
/// </summary>
/// <remarks>
/// A change is seen when the user object was loaded through this manager (<c>FindByIdAsync</c>,
/// <c>FindByNameAsync</c>, <c>FindByEmailAsync</c>, <c>FindByLoginAsync</c>, <c>GetUserAsync</c>, as the
/// Identity UI pages do), or is the signed-in user of the request. An app with a user manager of its own
/// derives it from this class.
/// </remarks>
/// <typeparam name="TUser">The user type.</typeparam>
public class TesseraUserManager<TUser> : UserManager<TUser>
    where TUser : class
{
    private readonly IServiceProvider _services;
    private readonly ConditionalWeakTable<TUser, string> _stamps = [];
    private IdentitySessionEnder? _ender;
    private bool _checkingPassword;

    /// <summary>Creates the manager (the arguments of <see cref="UserManager{TUser}"/>).</summary>
    /// <param name="store">The user store.</param>
    /// <param name="optionsAccessor">The Identity options.</param>
    /// <param name="passwordHasher">The password hasher.</param>
    /// <param name="userValidators">The user validators.</param>
    /// <param name="passwordValidators">The password validators.</param>
    /// <param name="keyNormalizer">The key normalizer.</param>
    /// <param name="errors">The error describer.</param>
    /// <param name="services">The request's services.</param>
    /// <param name="logger">The logger.</param>
    public TesseraUserManager(
        IUserStore<TUser> store,
        IOptions<IdentityOptions> optionsAccessor,
        IPasswordHasher<TUser> passwordHasher,
        IEnumerable<IUserValidator<TUser>> userValidators,
        IEnumerable<IPasswordValidator<TUser>> passwordValidators,
        ILookupNormalizer keyNormalizer,
        IdentityErrorDescriber errors,
        IServiceProvider services,
        ILogger<UserManager<TUser>> logger)
        : base(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
    }

    private IdentitySessionEnder Ender => _ender ??= _services.GetService<IdentitySessionEnder>()
        ?? throw new InvalidOperationException("TesseraUserManager needs AddTesseraIdentity() (after AddTessera()).");

    /// <inheritdoc/>
    public override async Task<TUser?> FindByIdAsync(string userId) => await RememberAsync(await base.FindByIdAsync(userId).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc/>
    public override async Task<TUser?> FindByNameAsync(string userName) => await RememberAsync(await base.FindByNameAsync(userName).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc/>
    public override async Task<TUser?> FindByEmailAsync(string email) => await RememberAsync(await base.FindByEmailAsync(email).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc/>
    public override async Task<TUser?> FindByLoginAsync(string loginProvider, string providerKey) =>
        await RememberAsync(await base.FindByLoginAsync(loginProvider, providerKey).ConfigureAwait(false)).ConfigureAwait(false);

    /// <inheritdoc/>
    public override async Task<bool> CheckPasswordAsync(TUser user, string password)
    {
        // A login whose password hash is upgraded (SuccessRehashNeeded) gets a new stamp as a side
        // effect: the same password is no security change, and the login under way must keep its session.
        _checkingPassword = true;
        try
        {
            return await base.CheckPasswordAsync(user, password).ConfigureAwait(false);
        }
        finally
        {
            _checkingPassword = false;
        }
    }

    /// <inheritdoc/>
    public override async Task<IdentityResult> UpdateSecurityStampAsync(TUser user)
    {
        // An explicit "sign this user out everywhere else": a change even when the user was not loaded here.
        ArgumentNullException.ThrowIfNull(user);
        if (SupportsUserSecurityStamp && !_stamps.TryGetValue(user, out _))
        {
            _stamps.AddOrUpdate(user, await GetSecurityStampAsync(user).ConfigureAwait(false));
        }

        return await base.UpdateSecurityStampAsync(user).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<IdentityResult> SetLockoutEndDateAsync(TUser user, DateTimeOffset? lockoutEnd)
    {
        var result = await base.SetLockoutEndDateAsync(user, lockoutEnd).ConfigureAwait(false);
        if (result.Succeeded && lockoutEnd is { } end && end > Ender.Time.GetUtcNow() && await UserKeyAsync(user).ConfigureAwait(false) is { } key)
        {
            await Ender.EndAllAsync(key, "locked", CancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc/>
    public override async Task<IdentityResult> DeleteAsync(TUser user)
    {
        // The key first: the principal of a deleted user cannot be made.
        var key = await UserKeyAsync(user).ConfigureAwait(false);
        var result = await base.DeleteAsync(user).ConfigureAwait(false);
        if (result.Succeeded && key is not null)
        {
            await Ender.EndAllAsync(key, "deleted", CancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc/>
    protected override async Task<IdentityResult> UpdateUserAsync(TUser user)
    {
        var result = await base.UpdateUserAsync(user).ConfigureAwait(false);
        if (!result.Succeeded || !SupportsUserSecurityStamp)
        {
            return result;
        }

        var stamp = await GetSecurityStampAsync(user).ConfigureAwait(false);
        var before = _stamps.TryGetValue(user, out var known) ? known : await SignedInStampAsync(user).ConfigureAwait(false);
        _stamps.AddOrUpdate(user, stamp ?? string.Empty);
        if (!_checkingPassword && before is not null && !string.Equals(before, stamp, StringComparison.Ordinal) && await UserKeyAsync(user).ConfigureAwait(false) is { } key)
        {
            await Ender.EndOthersAsync(key, CancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private async Task<TUser?> RememberAsync(TUser? user)
    {
        if (user is not null && SupportsUserSecurityStamp && !_stamps.TryGetValue(user, out _))
        {
            _stamps.AddOrUpdate(user, await GetSecurityStampAsync(user).ConfigureAwait(false) ?? string.Empty);
        }

        return user;
    }

    /// <summary>The stamp the request's signed-in principal carries, when it is this user.</summary>
    private async Task<string?> SignedInStampAsync(TUser user)
    {
        var principal = _services.GetService<IHttpContextAccessor>()?.HttpContext?.User;
        if (principal?.Identity?.IsAuthenticated != true || GetUserId(principal) != await GetUserIdAsync(user).ConfigureAwait(false))
        {
            return null;
        }

        return principal.FindFirst(Options.ClaimsIdentity.SecurityStampClaimType)?.Value;
    }

    /// <summary>The user key the user's logins are indexed under: of the principal Identity signs the user in with.</summary>
    private async Task<string?> UserKeyAsync(TUser user)
    {
        var factory = _services.GetRequiredService<IUserClaimsPrincipalFactory<TUser>>();
        return Ender.UserKeyOf(await factory.CreateAsync(user).ConfigureAwait(false));
    }
}
