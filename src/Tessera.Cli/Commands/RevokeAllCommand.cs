using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera revoke-all --everyone</c>: every session and login of every user created before now stops
/// working at once (<see cref="SessionUsers.RevokeEverythingAsync"/>: one key, no scan), after a key or
/// secret compromise (OWASP ASVS 7.4.5). It cannot be undone, so it asks first on a terminal; anywhere
/// else it needs <c>--yes</c>. The dead keys go by their TTL, or now with <c>tessera cleanup --apply --delete</c>.
/// </summary>
internal sealed class RevokeAllCommand(CliEnvironment environment) : ConnectedCommand<RevokeAllCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--everyone")]
        [Description("Required: revoke every session and login of every user (to log out one user: user revoke-all USER).")]
        public bool Everyone { get; set; }

        [CommandOption("-y|--yes")]
        [Description("Revoke without asking. Required when there is no terminal to ask on (scripts, pipes, --json).")]
        public bool Yes { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            return Everyone
                ? ValidationResult.Success()
                : ValidationResult.Error("revoke-all ends every session of every user: say so with --everyone. To log out one user: tessera user revoke-all USER.");
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var store = redis.Store();
        if (!settings.Yes)
        {
            if (!Env.CanPrompt || settings.Json || settings.PasswordStdin)
            {
                throw new CliException(
                    ExitCodes.Usage,
                    $"Refusing to revoke every session and login under '{TerminalText.Strip(settings.Prefix)}' without --yes: it cannot be undone, and there is no terminal to confirm on. Re-run with --yes.");
            }

            var prompt = new ConfirmationPrompt($"Revoke [bold]every[/] session and login of every user under [bold]{Markup.Escape(settings.Prefix)}[/]? Everyone signs in again; this cannot be undone.") { DefaultValue = false };
            if (!await prompt.ShowAsync(Env.Out, cancellationToken).ConfigureAwait(false))
            {
                Env.Error.MarkupLine("Nothing was revoked.");
                return ExitCodes.Failed;
            }
        }

        var epoch = await store.Users.RevokeEverythingAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new { Everyone = true, RevokedAt = epoch, Key = (string?)store.Users.EveryoneRevokedKey });
            return ExitCodes.Ok;
        }

        Env.Out.MarkupLine($"Revoked every session and login created at or before {Output.Time(epoch)} (Redis's clock): each is refused from its next request.");
        Env.Out.MarkupLine($"The mark is {Markup.Escape((string)store.Users.EveryoneRevokedKey!)}; the dead keys expire by their TTL, or run [bold]tessera cleanup --apply --delete[/] to delete them now.");
        return ExitCodes.Ok;
    }
}
