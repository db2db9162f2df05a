using Microsoft.Extensions.Logging;

namespace Tessera;

/// <summary>The session store's log messages (the request path's and the user index's); event ids are stable.</summary>
internal static partial class StoreLog
{
    [LoggerMessage(1, LogLevel.Warning, "Session {SessionTag} holds data that is not a Tessera session ({Reason}); treated as no session.")]
    internal static partial void Corrupt(ILogger logger, string sessionTag, string reason);

    [LoggerMessage(2, LogLevel.Error, "Session store unavailable during {Operation}.")]
    internal static partial void Unavailable(ILogger logger, string operation, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Session {SessionTag} was rotated; the old identifier is refused.")]
    internal static partial void RotatedRefused(ILogger logger, string sessionTag);

    [LoggerMessage(4, LogLevel.Debug, "Session {SessionTag} created.")]
    internal static partial void Created(ILogger logger, string sessionTag);

    [LoggerMessage(5, LogLevel.Debug, "Session {SessionTag} destroyed.")]
    internal static partial void Destroyed(ILogger logger, string sessionTag);

    [LoggerMessage(6, LogLevel.Debug, "A commit to session {SessionTag} followed its rotation to {NewSessionTag}.")]
    internal static partial void FollowedRotation(ILogger logger, string sessionTag, string newSessionTag);

    [LoggerMessage(7, LogLevel.Error, "Session observer {Observer} threw; the event was dropped for it.")]
    internal static partial void ObserverFailed(ILogger logger, string observer, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Session {SessionTag} rotated to {NewSessionTag}.")]
    internal static partial void Rotated(ILogger logger, string sessionTag, string newSessionTag);

    [LoggerMessage(9, LogLevel.Information, "Session {SessionTag} revoked ({Reason}).")]
    internal static partial void Revoked(ILogger logger, string sessionTag, string reason);

    [LoggerMessage(10, LogLevel.Information, "The connection dropped under a {Operation}; it was sent once more.")]
    internal static partial void Replayed(ILogger logger, string operation);

    [LoggerMessage(11, LogLevel.Information, "The rotation of session {SessionTag} met a revocation of its user; the new session was ended.")]
    internal static partial void RotationRevoked(ILogger logger, string sessionTag);

    [LoggerMessage(30, LogLevel.Warning, "A sign-in of session {SessionTag} was refused: its user already has {Limit} devices (MaxSessionsPerUser, DenyNew).")]
    internal static partial void LimitReached(ILogger logger, string sessionTag, int limit);

    [LoggerMessage(110, LogLevel.Debug, "Session {SessionTag} was created before \"everyone at once\": refused as if it did not exist.")]
    internal static partial void EndedByEveryone(ILogger logger, string sessionTag);

    [LoggerMessage(111, LogLevel.Warning, "Every session and login created at or before {Epoch:O} was revoked (everyone at once).")]
    internal static partial void EveryoneRevoked(ILogger logger, DateTimeOffset epoch);
}
