using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>
/// Ends a user's sessions and logins when ASP.NET Core Identity changes the account
/// (<see cref="TesseraUserManager{TUser}"/>): at once, rather than when the security stamp is next
/// validated (30 minutes by default).
/// </summary>
internal sealed partial class IdentitySessionEnder(RedisSessionStore store, TesseraTicketStore tickets, IHttpContextAccessor accessor, ILogger<IdentitySessionEnder> logger)
{
    /// <summary>The user key a principal's logins are indexed under, or null.</summary>
    public string? UserKeyOf(ClaimsPrincipal principal) => tickets.UserKeyOf(principal);

    /// <summary>The store's clock.</summary>
    public TimeProvider Time => store.Time;

    /// <summary>
    /// The security stamp changed (password, authenticator, external login, e-mail, ...): every other
    /// session and login of the user ends. The device of the request that made the change (the user's
    /// own, signed in) is kept; a change made by anyone else (an administrator, a password reset by
    /// e-mail) keeps none.
    /// </summary>
    public async Task EndOthersAsync(string user, CancellationToken cancellationToken)
    {
        var keep = accessor.HttpContext is { } context ? await CurrentDeviceAsync(context, user, cancellationToken).ConfigureAwait(false) : null;
        var ended = await store.Users.RevokeUserSessionsAsync(user, keep, cancellationToken).ConfigureAwait(false);
        LogStampChanged(logger, ended, keep is not null);
    }

    /// <summary>The account was locked or deleted: every session and login of the user ends, this request's too.</summary>
    public async Task EndAllAsync(string user, string reason, CancellationToken cancellationToken)
    {
        var ended = await store.Users.RevokeUserSessionsAsync(user, null, cancellationToken).ConfigureAwait(false);
        LogAccountEnded(logger, ended, reason);
    }

    /// <summary>The id of this request's session (or else its login) when the request is the user's own, signed in.</summary>
    private async Task<string?> CurrentDeviceAsync(HttpContext context, string user, CancellationToken cancellationToken)
    {
        if (context.User.Identity?.IsAuthenticated != true || tickets.UserKeyOf(context.User) != user)
        {
            return null;
        }

        if (context.Features.Get<ISessionFeature>()?.Session is TesseraSession session)
        {
            await session.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (session.State is { Phase: SessionPhase.Live, Id: { } id } && session.UserId == user)
            {
                // The session and the login it is linked to: "log out my other devices".
                return id;
            }
        }

        return context.Items.TryGetValue(TesseraTicketStore.LoginIdItem, out var login) && login is string loginId && SessionIds.IsValid(loginId) ? loginId : null;
    }

    [LoggerMessage(70, LogLevel.Information, "A user's security stamp changed: {Count} of the user's other sessions and logins were ended (the device that made the change kept: {Kept}).")]
    private static partial void LogStampChanged(ILogger logger, int count, bool kept);

    [LoggerMessage(71, LogLevel.Information, "A user's account was {Reason}: all {Count} of the user's sessions and logins were ended.")]
    private static partial void LogAccountEnded(ILogger logger, int count, string reason);
}
