namespace Tessera.AspNetCore;

/// <summary>
/// The one map from a session failure to its HTTP answer (problem details), used by the middleware
/// before the response starts and by the commit as it starts: the store unavailable is
/// <see cref="TesseraSessionOptions.UnavailableStatusCode"/> (503) with <c>Retry-After</c>; too large 413;
/// a device limit 409; a client binding refused 403. Anything else is not the session's to answer.
/// </summary>
/// <param name="Status">The status code.</param>
/// <param name="Title">The problem's title.</param>
/// <param name="Detail">What to tell the client.</param>
/// <param name="RetryAfterSeconds">The <c>Retry-After</c>, when trying again helps.</param>
internal sealed record SessionProblem(int Status, string Title, string Detail, int? RetryAfterSeconds)
{
    /// <summary>The answer to <paramref name="failure"/>, or <see langword="null"/> when it is not a session failure.</summary>
    /// <param name="failure">What was thrown.</param>
    /// <param name="options">The options (status code and retry of an outage).</param>
    /// <returns>The problem, or null.</returns>
    public static SessionProblem? For(Exception failure, TesseraSessionOptions options) => failure switch
    {
        TesseraUnavailableException => new(options.UnavailableStatusCode, "Session store unavailable", "The session store did not answer in time. Try again shortly.", options.RetryAfterSeconds),
        SessionTooLargeException => new(413, "Session too large", failure.Message, null),
        SessionLimitException => new(409, "Too many devices", failure.Message, null),
        SessionBindingException => new(403, "Session not valid for this client", failure.Message, null),
        _ => null,
    };

    /// <summary>The answer when the session's lock was not free in time.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The problem.</returns>
    public static SessionProblem LockBusy(TesseraSessionOptions options) => new(
        options.Lock.FailureStatusCode,
        "Session busy",
        $"Another request of this session held its lock for more than {options.Lock.WaitTimeout.TotalSeconds:0.###} s. Try again.",
        options.RetryAfterSeconds);

    /// <summary>The problem type URI of a status.</summary>
    /// <param name="status">The status code.</param>
    /// <returns>The RFC 9110 section, or <c>about:blank</c>.</returns>
    public static string TypeOf(int status) => status switch
    {
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        _ => "about:blank",
    };
}
