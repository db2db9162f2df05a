namespace Tessera.AspNetCore;

/// <summary>How a client carries its session identifier (<see cref="TesseraSessionOptions.IdTransport"/>).</summary>
public enum SessionIdTransport
{
    /// <summary>The session cookie (<see cref="TesseraSessionOptions.Cookie"/>): what browsers send by themselves.</summary>
    Cookie = 0,

    /// <summary>
    /// A request header (<see cref="TesseraSessionOptions.HeaderName"/>), for API, single-page and mobile
    /// clients: the id is read only from the header, a new or rotated id is sent back in the response
    /// header of the same name, and no cookie is read or written.
    /// </summary>
    Header = 1,

    /// <summary>
    /// Either: a request that carries the header is served from the header alone (even when its value is
    /// not an id; the cookie is then not consulted), any other from the cookie. A new or rotated id goes
    /// back the way the request's id came, and both ways to a request that brought none.
    /// </summary>
    Both = 2,
}
