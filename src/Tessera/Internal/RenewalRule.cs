namespace Tessera.Internal;

/// <summary>
/// The one rule of the renewal timeout (<see cref="TesseraOptions.RenewalInterval"/>): a session read at
/// <c>now</c> (the app's <see cref="TimeProvider"/>, as the absolute deadline is checked) is due for a new
/// identifier when its current one was issued (<see cref="SessionMetadata.IdIssuedAt"/>, Redis's clock)
/// at least the interval ago. Pure: unit-tested without a server.
/// </summary>
internal static class RenewalRule
{
    /// <summary>Whether a loaded session's identifier is due for renewal.</summary>
    /// <param name="now">When the session was read.</param>
    /// <param name="metadata">Its metadata.</param>
    /// <param name="interval">The renewal interval, or null when renewal is off.</param>
    /// <returns><see langword="true"/> when the request should give the session a new identifier.</returns>
    public static bool IsDue(DateTimeOffset now, SessionMetadata metadata, TimeSpan? interval) =>
        interval is { } every && every > TimeSpan.Zero && now - metadata.IdIssuedAt >= every;
}
