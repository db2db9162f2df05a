namespace Tessera.Cli.Infrastructure;

/// <summary>An expected failure with a one-line message for the operator and an exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException) => ExitCode = exitCode;

    /// <summary>The exit code.</summary>
    public int ExitCode { get; } = ExitCodes.Failed;
}
