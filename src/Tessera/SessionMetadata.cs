namespace Tessera;

/// <summary>What Tessera keeps about a session beside its values. Times are Redis server time.</summary>
public sealed record SessionMetadata
{
    /// <summary>When the session was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>
    /// When the session's current identifier was issued: its creation, or its last rotation (sign-in,
    /// <c>RotateAsync</c>, renewal), which keeps <see cref="Created"/>. The renewal timeout
    /// (<see cref="TesseraOptions.RenewalInterval"/>) measures from it. For a session stored by a version
    /// that did not record it, <see cref="Created"/>.
    /// </summary>
    public DateTimeOffset IdIssuedAt { get; init; }

    /// <summary>When the sliding expiry was last refreshed (the last access, to within the refresh granularity).</summary>
    public DateTimeOffset LastAccess { get; init; }

    /// <summary>The idle timeout of this session.</summary>
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>The absolute deadline: the session ends then however active it is.</summary>
    public DateTimeOffset AbsoluteDeadline { get; init; }

    /// <summary>The user the session is bound to, if any.</summary>
    public string? UserId { get; init; }

    /// <summary>The client address recorded when the session was created or bound, if any.</summary>
    public string? ClientIp { get; init; }

    /// <summary>The user agent recorded when the session was created or bound, if any.</summary>
    public string? UserAgent { get; init; }

    /// <summary>When the user last signed in on this session (a sign-in or re-authentication; not a renewal), if ever. For step-up checks.</summary>
    public DateTimeOffset? AuthenticatedAt { get; init; }

    /// <summary>The client address last seen, updated with the sliding refresh (at most once per refresh granularity), if any.</summary>
    public string? LastClientIp { get; init; }

    /// <summary>The user agent last seen, updated with the sliding refresh, if any.</summary>
    public string? LastUserAgent { get; init; }

    /// <summary>
    /// The handle of the login this session belongs to (the cookie-authentication ticket signed in on
    /// the same browser), if any: the two are one device, listed and revoked together.
    /// </summary>
    public string? LoginHandle { get; init; }

    /// <summary>The device's name, chosen by its user ("Work laptop"), if any: cleaned of control characters, at most 64 characters.</summary>
    public string? DeviceName { get; init; }

    /// <summary>How the user signed in on this device ("password", "passkey", "google"), as the app named it, if it did: cleaned, at most 32 characters.</summary>
    public string? SignInMethod { get; init; }

    /// <summary>
    /// A readable label of the device from its user agent (the last seen, else the first): "Chrome on
    /// Windows", "Safari on iPhone" (<see cref="Tessera.DeviceLabel.Of"/>). Computed, not stored.
    /// </summary>
    public string DeviceLabel => Tessera.DeviceLabel.Of(LastUserAgent ?? UserAgent);

    /// <summary>
    /// The bytes the session's values take, as Tessera counts them (<c>#s</c>, checked against
    /// <see cref="TesseraOptions.MaxSessionBytes"/>): for each value, its field name, its stored bytes and a
    /// per-field overhead of 40 bytes.
    /// </summary>
    public long Size { get; init; }

    /// <summary>When the session expires if it is not used again: the sooner of idle and absolute expiry.</summary>
    public DateTimeOffset ExpiresAt =>
        LastAccess + IdleTimeout < AbsoluteDeadline ? LastAccess + IdleTimeout : AbsoluteDeadline;
}
