using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera revoke HANDLE</c> (or a full id): deletes one session and removes it from its user's index; the user is
/// logged out on the next request. <c>--dry-run</c> only reads: it says whether there is such a session
/// and whose it is.
/// </summary>
internal sealed class RevokeCommand(CliEnvironment environment) : ConnectedCommand<RevokeCommand.Settings>(environment)
{
    internal sealed class Settings : SessionIdSettings
    {
        [CommandOption("--dry-run")]
        [Description("Print what would be revoked; delete nothing.")]
        public bool DryRun { get; set; }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var handle = await redis.Keyspace.ResolveHandleAsync(settings.Id, cancellationToken).ConfigureAwait(false);
        var tag = SessionIds.TagOfHandle(handle);
        if (settings.DryRun)
        {
            var summary = await redis.Keyspace.ReadOneAsync(handle, cancellationToken: cancellationToken).ConfigureAwait(false);
            var exists = summary.Kind == SessionKeyKind.Session;
            if (settings.Json)
            {
                Output.Json(Env, new { DryRun = true, WouldRevoke = exists, Tag = tag, User = exists ? summary.UserId : null });
            }
            else if (exists)
            {
                var user = summary.UserId is { } u ? $" of user [bold]{Markup.Escape(u)}[/]" : string.Empty;
                Env.Out.MarkupLine($"Dry run: would revoke session [bold]{tag}[/]{user}. Nothing was deleted.");
            }
            else
            {
                Env.Error.MarkupLine($"[red]No session {tag}[/] under prefix '{Markup.Escape(settings.Prefix)}': nothing to revoke.");
            }

            return exists ? ExitCodes.Ok : ExitCodes.NotFound;
        }

        var revoked = await redis.Store().Users.RevokeByHandleAsync(handle, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new { Revoked = revoked, Tag = tag });
        }
        else if (revoked)
        {
            Env.Out.MarkupLine($"Revoked session [bold]{tag}[/].");
        }
        else
        {
            Env.Error.MarkupLine($"[red]No session {tag}[/] under prefix '{Markup.Escape(settings.Prefix)}': nothing revoked.");
        }

        return revoked ? ExitCodes.Ok : ExitCodes.NotFound;
    }
}
