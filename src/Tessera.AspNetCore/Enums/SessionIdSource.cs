namespace Tessera.AspNetCore;

/// <summary>Where a request's session id came from, so a new or rotated id goes back the same way.</summary>
internal enum SessionIdSource
{
    /// <summary>The request carried neither the cookie nor the header.</summary>
    None = 0,

    /// <summary>The session cookie (or a migrated stock session cookie).</summary>
    Cookie = 1,

    /// <summary>The session header (whatever its value).</summary>
    Header = 2,
}
