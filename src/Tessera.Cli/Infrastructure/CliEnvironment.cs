using Spectre.Console;

namespace Tessera.Cli.Infrastructure;

/// <summary>
/// What a command may touch of the world: the output and error consoles, the raw output writer for
/// JSON, environment variables, and the token that Ctrl+C cancels. Tests build one over string writers.
/// </summary>
internal sealed class CliEnvironment
{
    public CliEnvironment(IAnsiConsole output, IAnsiConsole error, TextWriter outputWriter, Func<string, string?> getVariable, CancellationToken cancellation, bool interactive = false, TextReader? input = null)
    {
        Input = input ?? TextReader.Null;
        Interactive = interactive;
        Out = output;
        Error = error;
        OutWriter = outputWriter;
        GetVariable = getVariable;
        Cancellation = cancellation;
    }

    /// <summary>Standard output, for tables and text.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Standard error, for messages.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Standard output as a plain writer, for JSON (never wrapped or styled).</summary>
    public TextWriter OutWriter { get; }

    /// <summary>Standard input, for secrets (<c>--password-stdin</c>, <c>--key-stdin</c>).</summary>
    public TextReader Input { get; }

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> GetVariable { get; }

    /// <summary>Cancelled by Ctrl+C.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Whether progress bars and live displays make sense (a terminal, not a pipe).</summary>
    public bool Interactive { get; }

    /// <summary>
    /// Whether a question can be asked and answered (<c>user erase</c> without <c>--yes</c>): standard
    /// output and standard input are both a terminal. Never in tests unless they say so.
    /// </summary>
    public bool CanPrompt { get; init; }

    /// <summary>Set when a command's code starts to run (after parsing and validation).</summary>
    public bool CommandStarted { get; set; }

    /// <summary>The exit code the exception handler chose, if it ran.</summary>
    public int? HandledExitCode { get; set; }

    /// <summary>The environment of the real process.</summary>
    /// <param name="cancellation">Cancelled by Ctrl+C.</param>
    /// <returns>The environment.</returns>
    public static CliEnvironment ForProcess(CancellationToken cancellation)
    {
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var interactive = !Console.IsOutputRedirected && AnsiConsole.Console.Profile.Capabilities.Interactive;
        return new CliEnvironment(AnsiConsole.Console, error, Console.Out, Environment.GetEnvironmentVariable, cancellation, interactive, Console.In)
        {
            CanPrompt = interactive && !Console.IsInputRedirected,
        };
    }
}
