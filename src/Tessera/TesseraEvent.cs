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
    string? Detail = null);
