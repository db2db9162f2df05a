using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// A Blazor Server circuit's authentication state, re-checked every <see cref="TesseraRevalidationOptions.Interval"/>:
/// when the login the circuit was opened with has been revoked (logout, "log out everywhere", a device
/// revoked, a back-channel logout) on any instance, the circuit's user becomes anonymous. One <c>HMGET</c>
/// per circuit per interval. A principal that is not a Tessera login is left as it is; while Redis is
/// unreachable the state is kept (and a warning logged), as the circuit's next HTTP request would fail anyway.
/// </summary>
internal sealed partial class TesseraRevalidatingAuthenticationStateProvider(
    RedisSessionStore store,
    IOptions<TesseraRevalidationOptions> options,
    ILoggerFactory loggerFactory)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<TesseraRevalidatingAuthenticationStateProvider>();

    /// <inheritdoc/>
    protected override TimeSpan RevalidationInterval => options.Value.Interval;

    /// <inheritdoc/>
    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        if (LiveConnectionCheck.HandleOf(authenticationState.User) is not { } handle)
        {
            return true;
        }

        try
        {
            var live = await store.Users.LiveHandlesAsync([handle], cancellationToken).ConfigureAwait(false);
            if (live[0] is null)
            {
                RevalidationLog.CircuitSignedOut(_logger, SessionIds.TagOfHandle(handle));
                return false;
            }

            return true;
        }
        catch (TesseraUnavailableException ex)
        {
            RevalidationLog.CheckUnavailable(_logger, ex.Message);
            return true;
        }
    }
}
