namespace Tessera.Cli.Infrastructure;

/// <summary>The process exit codes of <c>tessera</c> (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary><c>doctor</c> found an error, or Redis refused a command (for example NOPERM).</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments: unknown command or option, bad value.</summary>
    public const int Usage = 2;

    /// <summary>Redis cannot be reached (or refused the credentials).</summary>
    public const int Unreachable = 3;

    /// <summary>No session (or user sessions) with that identifier.</summary>
    public const int NotFound = 4;

    /// <summary>A bug in tessera: the message says what failed.</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
