using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>The user's devices: naming one, and telling the observers about a browser new to its user.</summary>
internal sealed partial class TesseraSession
{
    /// <inheritdoc/>
    public async Task<bool> NameDeviceAsync(string handle, string? name, CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(handle) || !SessionIds.IsValid(handle) || UserId is null || _state.Phase != SessionPhase.Live)
        {
            return false;
        }

        var user = UserId;
        return await _budget.RunAsync(ct => _store.Users.NameDeviceAsync(user, handle, name, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After a sign-in, with <see cref="NewDeviceOptions.Enabled"/>: the browser's device cookie (a fresh one
    /// when it has none, or one of the wrong form) is recorded for the user, and when the user had not signed
    /// in from it before, <see cref="TesseraEventKind.NewDevice"/> is raised. The record is a digest of the
    /// user and the cookie, so a cookie planted in a browser, or one it got while another user signed in,
    /// never makes it known to this user.
    /// </summary>
    private async Task CheckNewDeviceAsync(string userId, CancellationToken cancellationToken)
    {
        var options = _options.NewDevices;
        if (options is not { Enabled: true } || _state.Phase != SessionPhase.Live || _state.Id is not { } id || UserId != userId)
        {
            return;
        }

        var cookie = _context.Request.Cookies[NewDeviceOptions.CookieName];
        if (!SessionIds.IsValid(cookie))
        {
            cookie = SessionIds.NewId();
        }

        // Sent again at every sign-in: the cookie lives as long as the record it names.
        _context.Response.Cookies.Append(NewDeviceOptions.CookieName, cookie!, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = options.RememberFor,
            IsEssential = true,
        });
        var isNew = await _budget.RunAsync(ct => _store.Users.SeenDeviceAsync(userId, cookie!, options.RememberFor, ct), cancellationToken).ConfigureAwait(false);
        if (isNew)
        {
            _store.Raise(new TesseraEvent(TesseraEventKind.NewDevice, SessionIds.LogTag(id), userId)
            {
                Handle = SessionIds.Handle(id),
                ClientIp = CurrentClientIp(),
                DeviceLabel = DeviceLabel.Of(ClientBinding.Normalize(_context.Request.Headers.UserAgent)),
            });
        }
    }
}
