using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>The live connections' log events (80–84).</summary>
internal static partial class RevalidationLog
{
    [LoggerMessage(80, LogLevel.Information, "A Blazor Server circuit lost its user: its login {Login} was revoked.")]
    public static partial void CircuitSignedOut(ILogger logger, string login);

    [LoggerMessage(81, LogLevel.Information, "Closed {Count} SignalR connection(s) of the revoked login or session {Login}.")]
    public static partial void ConnectionsClosed(ILogger logger, int count, string login);

    [LoggerMessage(82, LogLevel.Warning, "Live connections were not re-checked: Redis is unavailable ({Reason}). They are kept until it answers again.")]
    public static partial void CheckUnavailable(ILogger logger, string reason);

    [LoggerMessage(83, LogLevel.Error, "The re-check of live connections failed.")]
    public static partial void CheckFailed(ILogger logger, Exception exception);
}
