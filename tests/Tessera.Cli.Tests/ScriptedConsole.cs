using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;
using Tessera.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Tests;

/// <summary>
/// A terminal that a person answers: an interactive console over a string writer whose keyboard
/// types <paramref name="keys"/>, for the prompts that only a terminal gets.
/// </summary>
/// <param name="keys">What the person types, Enter included as '\n'.</param>
public sealed class ScriptedConsole(string keys) : IAnsiConsole, IAnsiConsoleInput
{
    private readonly StringWriter _writer = new(new StringBuilder());
    private readonly Queue<char> _keys = new(keys);
    private IAnsiConsole? _inner;

    private IAnsiConsole Inner => _inner ??= AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(_writer),
    });

    /// <summary>What was printed.</summary>
    public string Text => _writer.ToString();

    /// <inheritdoc/>
    public Profile Profile => Inner.Profile;

    /// <inheritdoc/>
    public IAnsiConsoleCursor Cursor => Inner.Cursor;

    /// <inheritdoc/>
    public IAnsiConsoleInput Input => this;

    /// <inheritdoc/>
    public IExclusivityMode ExclusivityMode => Inner.ExclusivityMode;

    /// <inheritdoc/>
    public RenderPipeline Pipeline => Inner.Pipeline;

    /// <summary>Runs <c>tessera args</c> on this terminal (stdout and the prompt; stderr to a string).</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The result; Out is what the terminal showed.</returns>
    public async Task<CliResult> RunAsync(string[] args)
    {
        var error = new StringWriter(new StringBuilder());
        var errorConsole = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(error) });
        var environment = new CliEnvironment(this, errorConsole, _writer, static _ => null, CancellationToken.None, interactive: true) { CanPrompt = true };
        var code = await TesseraCli.RunAsync(args, environment);
        return new CliResult(code, Text, error.ToString());
    }

    /// <inheritdoc/>
    public void Clear(bool home) => Inner.Clear(home);

    /// <inheritdoc/>
    public void Write(IRenderable renderable) => Inner.Write(renderable);

    /// <inheritdoc/>
    public void WriteAnsi(Action<AnsiWriter> action) => Inner.WriteAnsi(action);

    /// <inheritdoc/>
    public bool IsKeyAvailable() => _keys.Count > 0;

    /// <inheritdoc/>
    public ConsoleKeyInfo? ReadKey(bool intercept)
    {
        if (_keys.Count == 0)
        {
            return null;
        }

        var c = _keys.Dequeue();
        return c == '\n'
            ? new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false)
            : new ConsoleKeyInfo(c, char.IsLetter(c) ? Enum.Parse<ConsoleKey>(char.ToUpperInvariant(c).ToString()) : ConsoleKey.NoName, false, false, false);
    }

    /// <inheritdoc/>
    public Task<ConsoleKeyInfo?> ReadKeyAsync(bool intercept, CancellationToken cancellationToken) => Task.FromResult(ReadKey(intercept));
}
