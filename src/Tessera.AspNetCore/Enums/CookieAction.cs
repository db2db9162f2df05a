namespace Tessera.AspNetCore;

/// <summary>What the response does with the session cookie.</summary>
internal enum CookieAction
{
    /// <summary>Leave the client's cookie as it is.</summary>
    None = 0,

    /// <summary>Send the cookie with the session's id.</summary>
    Issue = 1,

    /// <summary>Delete the cookie.</summary>
    Delete = 2,
}
