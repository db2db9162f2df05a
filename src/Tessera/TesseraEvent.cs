namespace Tessera;

/// <summary>
/// One session event, for audit logs. Sessions are named by <see cref="SessionIds.LogTag"/> tags,
/// never by their identifiers, which are bearer credentials.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="SessionTag">The session's tag.</param>
/// <param name="UserId">The user the session is bound to, when known.</param>
/// <param name="NewSessionTag">For a rotation, the new session's tag.</param>
/// <param name="Detail">More about it (the reason of a revoke or a binding rejection), or null.</param>
public readonly record struct TesseraEvent(
    TesseraEventKind Kind,
    string SessionTag,
    string? UserId = null,
    string? NewSessionTag = null,
    string? Detail = null)
{
    /// <summary>For <see cref="TesseraEventKind.NewDevice"/>: the session's handle (<see cref="SessionInfo.Handle"/> or one of its linked handles; not a credential).</summary>
    public string? Handle { get; init; }

    /// <summary>For <see cref="TesseraEventKind.NewDevice"/>: the client address the device first signed in from.</summary>
    public string? ClientIp { get; init; }

    /// <summary>For <see cref="TesseraEventKind.NewDevice"/>: the device's label from its user agent (<see cref="Tessera.DeviceLabel.Of"/>).</summary>
    public string? DeviceLabel { get; init; }
}
