namespace Tessera;

/// <summary>What happened to a session.</summary>
public enum TesseraEventKind
{
    /// <summary>A session was created.</summary>
    Created = 0,

    /// <summary>A session's identifier was rotated.</summary>
    Rotated = 1,

    /// <summary>A session was destroyed by its owner (logout).</summary>
    Destroyed = 2,

    /// <summary>A session was revoked (by an operator, "log out everywhere" or "log out my other devices").</summary>
    Revoked = 3,

    /// <summary>A request's client did not match the session's binding (address or user agent).</summary>
    BindingRejected = 4,

    /// <summary>A read found the session past its absolute deadline and deleted it.</summary>
    ExpiredOnRead = 5,

    /// <summary>A session was bound to a user.</summary>
    UserBound = 6,

    /// <summary>
    /// A user signed in from a browser not seen signing in as that user before (no device cookie, an
    /// unknown or malformed one, or one forgotten after its lifetime): the event carries the session's
    /// handle, the first client address and the device label. Raised only when new-device detection is on.
    /// </summary>
    NewDevice = 7,
}
