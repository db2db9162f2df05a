using Microsoft.Extensions.Logging;

namespace Tessera;

public sealed partial class RedisSessionStore
{
    [LoggerMessage(1, LogLevel.Warning, "Session {SessionTag} holds data that is not a Tessera session ({Reason}); treated as no session.")]
    private static partial void LogCorrupt(ILogger logger, string sessionTag, string reason);

    [LoggerMessage(2, LogLevel.Error, "Session store unavailable during {Operation}.")]
    private static partial void LogUnavailable(ILogger logger, string operation, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Session {SessionTag} was rotated; the old identifier is refused.")]
    private static partial void LogRotatedRefused(ILogger logger, string sessionTag);

    [LoggerMessage(4, LogLevel.Debug, "Session {SessionTag} created.")]
    private static partial void LogCreated(ILogger logger, string sessionTag);

    [LoggerMessage(5, LogLevel.Debug, "Session {SessionTag} destroyed.")]
    private static partial void LogDestroyed(ILogger logger, string sessionTag);

    [LoggerMessage(6, LogLevel.Debug, "A commit to session {SessionTag} followed its rotation to {NewSessionTag}.")]
    private static partial void LogFollowedRotation(ILogger logger, string sessionTag, string newSessionTag);

    [LoggerMessage(7, LogLevel.Error, "Session observer {Observer} threw; the event was dropped for it.")]
    private static partial void LogObserverFailed(ILogger logger, string observer, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Session {SessionTag} rotated to {NewSessionTag}.")]
    private static partial void LogRotated(ILogger logger, string sessionTag, string newSessionTag);

    [LoggerMessage(9, LogLevel.Information, "Session {SessionTag} revoked ({Reason}).")]
    private static partial void LogRevoked(ILogger logger, string sessionTag, string reason);

    [LoggerMessage(10, LogLevel.Information, "The connection dropped under a {Operation}; it was sent once more.")]
    private static partial void LogReplayed(ILogger logger, string operation);

    [LoggerMessage(11, LogLevel.Information, "The rotation of session {SessionTag} met a revocation of its user; the new session was ended.")]
    private static partial void LogRotationRevoked(ILogger logger, string sessionTag);

    [LoggerMessage(30, LogLevel.Warning, "A sign-in of session {SessionTag} was refused: its user already has {Limit} devices (MaxSessionsPerUser, DenyNew).")]
    private static partial void LogLimitReached(ILogger logger, string sessionTag, int limit);
}
