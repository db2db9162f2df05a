using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tessera.AspNetCore;

/// <summary>
/// What a live connection is re-checked against: the login it was opened with (the ticket store's key,
/// from the principal's login claim), else the Tessera session it was opened with when that session is
/// signed in (a session-only sign-in). A connection with neither has nothing Tessera can revoke.
/// </summary>
internal static class LiveConnectionCheck
{
    /// <summary>The handle to re-check for a principal (its login), or null.</summary>
    /// <param name="principal">The connection's user.</param>
    /// <returns>The login's handle, or null.</returns>
    public static string? HandleOf(ClaimsPrincipal? principal) => TesseraClaims.LoginHandleOf(principal);

    /// <summary>The handle to re-check for a connection's opening request: its login, else its signed-in session.</summary>
    /// <param name="principal">The connection's user.</param>
    /// <param name="httpContext">The request that opened the connection, if known.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle, or null.</returns>
    public static async ValueTask<string?> HandleOfAsync(ClaimsPrincipal? principal, HttpContext? httpContext, CancellationToken cancellationToken)
    {
        if (HandleOf(principal) is { } login)
        {
            return login;
        }

        if (httpContext?.Features.Get<ISessionFeature>()?.Session is ITesseraSession session)
        {
            await session.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (session.Exists && session.UserId is not null && SessionIds.IsValid(session.Id))
            {
                return SessionIds.Handle(session.Id);
            }
        }

        return null;
    }
}
