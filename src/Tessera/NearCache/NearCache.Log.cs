using Microsoft.Extensions.Logging;

namespace Tessera;

/// <summary>The near cache's log events (130-134).</summary>
public sealed partial class NearCache
{
    [LoggerMessage(130, LogLevel.Information, "Near cache: active, told of every change under the prefix by {Primaries}.")]
    private static partial void LogActive(ILogger logger, string primaries);

    [LoggerMessage(131, LogLevel.Warning, "Near cache is off: {Reason}. Every read goes to Redis.")]
    private static partial void LogUnsupported(ILogger logger, string reason);

    [LoggerMessage(132, LogLevel.Warning, "Near cache emptied: {Reason}. Reads go to Redis until its connection is registered again.")]
    private static partial void LogReset(ILogger logger, string reason);

    [LoggerMessage(133, LogLevel.Debug, "Near cache: not connected yet ({Reason}); trying again.")]
    private static partial void LogNotYet(ILogger logger, string reason);

    [LoggerMessage(134, LogLevel.Warning, "Near cache: cannot register its invalidation connection ({Reason}). Every read goes to Redis; trying again every second (logged again at Debug).")]
    private static partial void LogCannotRegister(ILogger logger, string reason);
}
