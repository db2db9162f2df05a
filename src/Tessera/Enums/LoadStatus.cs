namespace Tessera;

/// <summary>What a session load found under a key.</summary>
public enum LoadStatus
{
    /// <summary>No key: the session never existed, expired or was destroyed.</summary>
    NotFound = 0,

    /// <summary>A live session.</summary>
    Found = 1,

    /// <summary>The session was rotated to a new identifier; the old one is refused.</summary>
    Rotated = 2,

    /// <summary>The absolute lifetime had passed; the session was deleted.</summary>
    Expired = 3,

    /// <summary>The key holds data that is not a session (foreign, truncated or tampered).</summary>
    Corrupt = 4,
}
