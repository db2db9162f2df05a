using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// A Blazor Server circuit's authentication state, re-checked at once when a revocation notice names the
/// circuit's login (<see cref="RevocationFeed"/>: a logout, "log out everywhere", a device revoked, a
/// back-channel logout, on any instance), and every <see cref="TesseraRevalidationOptions.Interval"/> in
/// case a notice was lost: when the login has ended, the circuit's user becomes anonymous. One <c>HMGET</c>
/// per check. A principal that is not a Tessera login is left as it is; while Redis is unreachable the
/// state is kept (and a warning logged), as the circuit's next HTTP request would fail anyway.
/// </summary>
internal sealed partial class TesseraRevalidatingAuthenticationStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private static readonly Task<AuthenticationState> SignedOut = Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity())));

    private readonly RedisSessionStore _store;
    private readonly IOptions<TesseraRevalidationOptions> _options;
    private readonly ILogger _logger;
    private readonly IDisposable _notices;
    private volatile string? _handle;
    private volatile bool _disposed;

    public TesseraRevalidatingAuthenticationStateProvider(RedisSessionStore store, IOptions<TesseraRevalidationOptions> options, ILoggerFactory loggerFactory)
        : base(loggerFactory)
    {
        _store = store;
        _options = options;
        _logger = loggerFactory.CreateLogger<TesseraRevalidatingAuthenticationStateProvider>();

        // The circuit's login, known without awaiting, so a notice is matched on the feed's thread.
        AuthenticationStateChanged += state => _ = RememberAsync(state);
        _notices = store.Revocations.Subscribe(OnNotice);
    }

    /// <inheritdoc/>
    protected override TimeSpan RevalidationInterval => _options.Value.Interval;

    /// <inheritdoc/>
    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        if (LiveConnectionCheck.HandleOf(authenticationState.User) is not { } handle)
        {
            return true;
        }

        try
        {
            var live = await _store.Users.LiveHandlesAsync([handle], cancellationToken).ConfigureAwait(false);
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

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _notices.Dispose();
        base.Dispose(disposing);
    }

    private async Task RememberAsync(Task<AuthenticationState> state)
    {
        try
        {
            _handle = LiveConnectionCheck.HandleOf((await state.ConfigureAwait(false)).User);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failed state is the framework's to report; nothing to watch.
            _handle = null;
        }
    }

    private void OnNotice(RevocationNotice notice)
    {
        if (_handle is { } handle && !_disposed && notice.Concerns(handle))
        {
            _ = RecheckAsync();
        }
    }

    private async Task RecheckAsync()
    {
        try
        {
            var state = await GetAuthenticationStateAsync().ConfigureAwait(false);
            if (!_disposed && !await ValidateAuthenticationStateAsync(state, CancellationToken.None).ConfigureAwait(false) && !_disposed)
            {
                _handle = null;
                SetAuthenticationState(SignedOut);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RevalidationLog.CheckFailed(_logger, ex);
        }
    }
}
