using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera user erase USER --yes</c>: erases what Tessera holds about a user (a GDPR erasure):
/// every session and login is revoked, and the user index goes (<see cref="Tessera.Admin.UserData.EraseAsync"/>).
/// It cannot be undone, so it asks first on a terminal; anywhere else it needs <c>--yes</c>.
/// </summary>
internal sealed class UserEraseCommand(CliEnvironment environment) : ConnectedCommand<UserEraseCommand.Settings>(environment)
{
    internal sealed class Settings : UserSettings
    {
        [CommandOption("-y|--yes")]
        [Description("Erase without asking. Required when there is no terminal to ask on (scripts, pipes, --json).")]
        public bool Yes { get; set; }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var store = redis.Store();
        var user = Output.Stored(settings.User);
        if (!settings.Yes)
        {
            var devices = await store.Users.GetUserSessionsAsync(settings.User, cancellationToken).ConfigureAwait(false);
            var what = $"{devices.Count} device(s), {devices.Sum(static d => 1 + d.LinkedHandles.Count)} session(s)";
            if (!Env.CanPrompt || settings.Json || settings.PasswordStdin)
            {
                throw new CliException(
                    ExitCodes.Usage,
                    $"Refusing to erase {TerminalText.Strip(settings.User)} ({what}) without --yes: erasing cannot be undone, and there is no terminal to confirm on. Re-run with --yes.");
            }

            var prompt = new ConfirmationPrompt($"Erase every session and device record of [bold]{user}[/] ({what})? This cannot be undone.") { DefaultValue = false };
            if (!await prompt.ShowAsync(Env.Out, cancellationToken).ConfigureAwait(false))
            {
                Env.Error.MarkupLine("Nothing was erased.");
                return ExitCodes.Failed;
            }
        }

        var erased = await new Tessera.Admin.UserData(store).EraseAsync(settings.User, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new { settings.User, Erased = erased });
            return ExitCodes.Ok;
        }

        var mark = Markup.Escape((string)store.Users.RevokedKeyFor(TerminalText.Strip(settings.User))!);
        Env.Out.MarkupLine($"Erased {erased} session(s) of [bold]{user}[/]: every device is signed out and the user index is gone.");
        Env.Out.MarkupLine($"A revocation mark ({mark}: the user id and a time) stays {Tessera.Internal.SessionLayout.RevocationMarkLifetime.TotalMinutes:0} minutes, so a sign-in under way cannot survive the erasure.");
        return ExitCodes.Ok;
    }
}
