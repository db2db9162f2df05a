using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera user revoke-all USER</c>: logs a user out everywhere (optionally but one session).</summary>
internal sealed class UserRevokeAllCommand(CliEnvironment environment) : ConnectedCommand<UserRevokeAllCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandArgument(0, "<USER>")]
        [Description("The user id whose sessions to revoke.")]
        public string User { get; set; } = string.Empty;

        [CommandOption("--except <ID>")]
        [Description("Keep this one session.")]
        public string? Except { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            if (User.Length is 0 or > 512 || User.Any(char.IsControl))
            {
                return ValidationResult.Error("<USER> must be 1 to 512 characters without control characters.");
            }

            Except = Except is null ? null : SessionIdArgument.Normalize(Except);
            return Except is null || SessionIds.IsValid(Except)
                ? ValidationResult.Success()
                : ValidationResult.Error("--except is not a session id (43 base64url characters).");
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var count = await redis.Store().RevokeUserSessionsAsync(settings.User, settings.Except, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new { settings.User, Revoked = count });
        }
        else
        {
            Env.Out.MarkupLine($"Revoked {count} session(s) of [bold]{Markup.Escape(settings.User)}[/]{(settings.Except is null ? string.Empty : " (kept one)")}.");
        }

        return ExitCodes.Ok;
    }
}
