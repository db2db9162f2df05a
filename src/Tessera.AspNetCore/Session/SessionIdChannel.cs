using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>
/// The one place that knows where a session id comes from and where a new one goes
/// (<see cref="TesseraSessionOptions.IdTransport"/>): the cookie, the header, or both. What happens to the
/// id in between (the strict form check, hashing, binding, rotation, revocation) does not depend on it.
/// </summary>
internal sealed class SessionIdChannel
{
    private readonly SessionIdTransport _transport;
    private readonly string _headerName;
    private readonly CookieBuilder _cookie;

    public SessionIdChannel(TesseraSessionOptions options)
    {
        _transport = options.IdTransport;
        _headerName = options.HeaderName;
        _cookie = options.Cookie;
    }

    /// <summary>
    /// The id the request presents, when it is of Tessera's form. A header wins over the cookie (with
    /// <see cref="SessionIdTransport.Both"/>): a request that carries it is judged by it alone, so a
    /// forged or repeated header never falls back to an ambient cookie.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="source">Where the id came from (also when it was refused).</param>
    /// <param name="refusedLength">The length of a presented value that is not an id; -1 when none was refused.</param>
    /// <returns>The id, or null for a new visitor.</returns>
    public string? Read(HttpRequest request, out SessionIdSource source, out int refusedLength)
    {
        refusedLength = -1;
        if (_transport != SessionIdTransport.Cookie && request.Headers.TryGetValue(_headerName, out var values))
        {
            source = SessionIdSource.Header;
            if (values.Count == 1 && values[0] is { } one)
            {
                if (SessionIds.IsValid(one))
                {
                    return one;
                }

                // An empty value is a client that holds no id (as a logout's response leaves it): no log.
                refusedLength = one.Length == 0 ? -1 : one.Length;
                return null;
            }

            // Sent twice (or as a list): ambiguous, so neither value is used.
            refusedLength = values.Sum(static v => v?.Length ?? 0);
            return null;
        }

        if (_transport != SessionIdTransport.Header && request.Cookies.TryGetValue(_cookie.Name!, out var raw))
        {
            source = SessionIdSource.Cookie;
            if (SessionIds.IsValid(raw))
            {
                return raw;
            }

            refusedLength = raw?.Length ?? 0;
            return null;
        }

        source = SessionIdSource.None;
        return null;
    }

    /// <summary>
    /// Sends a new id, or tells the client to forget its id, the way the request's id came (both ways
    /// for a request that brought none, with <see cref="SessionIdTransport.Both"/>).
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="action">Issue or delete.</param>
    /// <param name="id">The id to issue.</param>
    /// <param name="source">Where the request's id came from.</param>
    /// <returns>Whether the response now carries a session id (or its deletion).</returns>
    public bool Write(HttpContext context, CookieAction action, string? id, SessionIdSource source)
    {
        if (action == CookieAction.None)
        {
            return false;
        }

        var header = _transport == SessionIdTransport.Header || (_transport == SessionIdTransport.Both && source != SessionIdSource.Cookie);
        var cookie = _transport == SessionIdTransport.Cookie || (_transport == SessionIdTransport.Both && source != SessionIdSource.Header);
        var response = context.Response;
        if (header)
        {
            // Deleted: an empty value, which the client stores in place of the id (and which reads as no id).
            response.Headers[_headerName] = action == CookieAction.Issue ? id : string.Empty;
        }

        if (cookie)
        {
            if (action == CookieAction.Issue)
            {
                response.Cookies.Append(_cookie.Name!, id!, _cookie.Build(context));
            }
            else
            {
                response.Cookies.Delete(_cookie.Name!, _cookie.Build(context));
            }
        }

        return true;
    }
}
