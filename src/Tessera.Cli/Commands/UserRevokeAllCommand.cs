using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera user revoke-all USER</c>: logs a user out everywhere (optionally but one session).
/// <c>--dry-run</c> only reads the user index and the sessions it names, and lists what would go.
/// </summary>
internal sealed class UserRevokeAllCommand(CliEnvironment environment) : ConnectedCommand<UserRevokeAllCommand.Settings>(environment)
{
    internal sealed class Settings : UserSettings
    {
        [CommandOption("--except <HANDLE>")]
        [Description("Keep this one session: its handle (as user sessions prints it) or its full id.")]
        public string? Except { get; set; }

        [CommandOption("--dry-run")]
        [Description("List the sessions that would be revoked; delete nothing.")]
        public bool DryRun { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            Except = Except is null ? null : SessionIdArgument.Normalize(Except);
            return Except is null || SessionIds.IsValid(Except)
                ? ValidationResult.Success()
                : ValidationResult.Error("--except is not a session handle or id (43 base64url characters).");
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var except = settings.Except is null ? null : await redis.Keyspace.ResolveHandleAsync(settings.Except, cancellationToken).ConfigureAwait(false);
        if (settings.DryRun)
        {
            return await DryRunAsync(redis, settings, except, cancellationToken).ConfigureAwait(false);
        }

        var count = await redis.Store().Users.RevokeUserSessionsByHandleAsync(settings.User, except, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The sessions a revoke-all would delete: the index members (but <c>--except</c>) whose key still
    /// holds a live session. Read-only: unlike <c>user sessions</c>, it does not prune dead index members.
    /// </summary>
    private async Task<int> DryRunAsync(Connected redis, Settings settings, string? except, CancellationToken cancellationToken)
    {
        var store = redis.Store();
        var members = await redis.Keyspace.Database.SortedSetRangeByRankAsync(store.Users.UserKeyFor(settings.User))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        // A login's companion session is listed as '~' + handle: it is revoked too, so it counts.
        var candidates = members
            .Select(static m => Tessera.Internal.SessionLayout.TryParseMember((string?)m, out var handle, out _) ? handle : null)
            .Where(handle => handle is not null && handle != except)
            .Select(static handle => handle!)
            .ToList();
        var summaries = await Task.WhenAll(candidates.Select(id => redis.Keyspace.ReadOneAsync(id, cancellationToken: cancellationToken)))
            .ConfigureAwait(false);
        var targets = summaries.Where(static s => s.Kind == SessionKeyKind.Session).ToList();
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                settings.User,
                DryRun = true,
                WouldRevoke = targets.Count,
                Sessions = targets.Select(static s => new { s.Tag, s.LastAccess, s.Ttl }),
            });
            return ExitCodes.Ok;
        }

        foreach (var s in targets)
        {
            Env.Out.MarkupLine($"  would revoke [bold]{s.Tag}[/]  last seen {Output.Time(s.LastAccess)}  expires in {Durations.Format(s.Ttl)}");
        }

        Env.Out.MarkupLine($"Dry run: would revoke {targets.Count} session(s) of [bold]{Markup.Escape(settings.User)}[/]{(settings.Except is null ? string.Empty : " (keeping one)")}. Nothing was deleted.");
        return ExitCodes.Ok;
    }
}
