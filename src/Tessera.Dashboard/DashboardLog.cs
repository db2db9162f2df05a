using Microsoft.Extensions.Logging;

namespace Tessera.Dashboard;

/// <summary>The dashboard's audit log: every action an operator takes, and every refused one. Event ids 100-199.</summary>
internal static partial class DashboardLog
{
    [LoggerMessage(100, LogLevel.Warning, "Audit: {Operator} revoked session {SessionTag} of user {UserId} from the dashboard.")]
    public static partial void Revoked(ILogger logger, string @operator, string sessionTag, string userId);

    [LoggerMessage(101, LogLevel.Warning, "Audit: {Operator} revoked all {Count} sessions of user {UserId} from the dashboard.")]
    public static partial void RevokedAll(ILogger logger, string @operator, int count, string userId);

    [LoggerMessage(102, LogLevel.Information, "Audit: {Operator} ran a cleanup dry run: {Found} TTL-less sessions among {Scanned} keys.")]
    public static partial void CleanupDryRun(ILogger logger, string @operator, long found, long scanned);

    [LoggerMessage(103, LogLevel.Warning, "Audit: {Operator} applied cleanup ({Action}): {Applied} of {Found} TTL-less sessions changed.")]
    public static partial void CleanupApplied(ILogger logger, string @operator, string action, long applied, long found);

    [LoggerMessage(104, LogLevel.Warning, "Audit: a dashboard {Action} by {Operator} was refused: {Reason}.")]
    public static partial void Refused(ILogger logger, string action, string @operator, string reason);

    [LoggerMessage(105, LogLevel.Information, "Audit: {Operator} asked for a revoke of session {SessionTag} of user {UserId}, which was already gone.")]
    public static partial void RevokeMissed(ILogger logger, string @operator, string sessionTag, string userId);

    [LoggerMessage(106, LogLevel.Warning, "Dashboard scan failed.")]
    public static partial void ScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Information, "Audit: {Operator} started a full scan from the dashboard.")]
    public static partial void FullScanStarted(ILogger logger, string @operator);

    [LoggerMessage(108, LogLevel.Information, "Audit: {Operator} cancelled the dashboard's full scan.")]
    public static partial void FullScanCancelled(ILogger logger, string @operator);
}
