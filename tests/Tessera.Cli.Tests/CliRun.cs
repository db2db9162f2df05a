using System.Text;
using Spectre.Console;
using Tessera.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Tests;

/// <summary>What one in-process run of the CLI printed and returned.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the CLI in process through its CommandApp, with consoles over string writers.</summary>
public static class CliRun
{
    /// <summary>Runs <c>tessera args</c>.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="variables">Environment variables the run sees (no others).</param>
    /// <param name="stdin">What the run reads on standard input, or null for nothing.</param>
    /// <param name="onOutput">Called with all of standard output so far each time the run writes to it (a test presses Ctrl+C on what it sees, not after a guessed delay).</param>
    /// <param name="cancellation">The Ctrl+C token.</param>
    /// <returns>The result.</returns>
    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string>? variables = null, string? stdin = null, Action<string>? onOutput = null, CancellationToken cancellation = default)
    {
        var output = new WatchedWriter(onOutput);
        var error = new StringWriter(new StringBuilder());
        var environment = new CliEnvironment(
            Console(output),
            Console(error),
            output,
            name => variables is not null && variables.TryGetValue(name, out var v) ? v : null,
            cancellation,
            input: stdin is null ? null : new StringReader(stdin));
        var code = await TesseraCli.RunAsync(args, environment);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    private static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 250;
        return console;
    }

    /// <summary>A string writer that tells a watcher what it holds after each write.</summary>
    private sealed class WatchedWriter(Action<string>? onOutput) : StringWriter(new StringBuilder())
    {
        public override void Write(char value)
        {
            base.Write(value);
            onOutput?.Invoke(ToString());
        }

        public override void Write(string? value)
        {
            base.Write(value);
            onOutput?.Invoke(ToString());
        }

        public override void Write(char[] buffer, int index, int count)
        {
            base.Write(buffer, index, count);
            onOutput?.Invoke(ToString());
        }
    }
}
