namespace Tessera.Analytics;

/// <summary>One entry of the lifecycle event stream.</summary>
/// <param name="Id">The stream entry id (<c>ms-seq</c>).</param>
/// <param name="At">When Redis added it.</param>
/// <param name="Kind">What happened (<see cref="TesseraEventKind"/> name).</param>
/// <param name="SessionTag">The session's short tag (never its id).</param>
/// <param name="UserId">The user, when known.</param>
/// <param name="NewSessionTag">For a rotation, the new session's tag.</param>
/// <param name="Detail">More about it.</param>
public sealed record AnalyticsEvent(string Id, DateTimeOffset At, string Kind, string SessionTag, string? UserId, string? NewSessionTag, string? Detail);
