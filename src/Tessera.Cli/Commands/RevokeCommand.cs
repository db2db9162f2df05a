using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera revoke ID</c>: deletes one session and removes it from its user's index; the user is logged out on the next request.</summary>
internal sealed class RevokeCommand(CliEnvironment environment) : ConnectedCommand<RevokeCommand.Settings>(environment)
{
    internal sealed class Settings : SessionIdSettings
    {
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var revoked = await redis.Store().RevokeAsync(settings.Id, cancellationToken).ConfigureAwait(false);
        var tag = SessionIds.LogTag(settings.Id);
        if (settings.Json)
        {
            Output.Json(Env, new { Revoked = revoked, Tag = tag });
        }
        else if (revoked)
        {
            Env.Out.MarkupLine($"Revoked session [bold]{tag}[/] (tag of the id given).");
        }
        else
        {
            Env.Error.MarkupLine($"[red]No session {tag}[/] (tag of the id given) under prefix '{Markup.Escape(settings.Prefix)}': nothing revoked.");
        }

        return revoked ? ExitCodes.Ok : ExitCodes.NotFound;
    }
}
