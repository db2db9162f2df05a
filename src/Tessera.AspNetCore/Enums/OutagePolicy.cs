namespace Tessera.AspNetCore;

/// <summary>What a request's session does when Redis cannot be reached in time.</summary>
public enum OutagePolicy
{
    /// <summary>The request fails with 503 problem details (Retry-After) as soon as it needs Redis. The default.</summary>
    Fail = 0,

    /// <summary>
    /// A failed read gives an empty, unavailable session (<c>IsAvailable</c> false, <c>Id</c> "", no
    /// keys) and the page renders; a write still fails loudly with 503.
    /// </summary>
    DegradeReads = 1,

    /// <summary>
    /// As the stock session: a failed read gives an empty, unavailable session, writes to it are
    /// dropped, and a commit that fails at the end of the request is dropped. Every dropped write is
    /// logged at Error and counted; the response is not changed. Atomic operations still fail loudly.
    /// </summary>
    DegradeFully = 2,
}
