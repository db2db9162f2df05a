using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>The back-channel logout endpoint's log events (90–94).</summary>
internal static partial class BackChannelLogoutLog
{
    [LoggerMessage(90, LogLevel.Warning, "A back-channel logout token was refused: {Reason}.")]
    public static partial void Refused(ILogger logger, LogoutTokenRefusal reason);

    [LoggerMessage(91, LogLevel.Information, "Back-channel logout by {Issuer}: ended {Count} login(s) and session(s) of the provider's {Target}.")]
    public static partial void LoggedOut(ILogger logger, string issuer, int count, string target);

    [LoggerMessage(92, LogLevel.Warning, "A back-channel logout could not be done now (answered 503): {Reason}.")]
    public static partial void Unavailable(ILogger logger, string reason);

    [LoggerMessage(93, LogLevel.Information, "The signing key of a back-channel logout token is unknown: the provider's configuration is read again.")]
    public static partial void RefreshingKeys(ILogger logger);
}
