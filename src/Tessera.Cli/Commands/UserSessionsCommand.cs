using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera user sessions USER</c>: a user's live sessions from the user index (no scan), most recently
/// seen first. Prints whole ids on purpose: they are the handle for <c>show</c> and <c>revoke</c>.
/// </summary>
internal sealed class UserSessionsCommand(CliEnvironment environment) : ConnectedCommand<UserSessionsCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandArgument(0, "<USER>")]
        [Description("The user id the application bound the sessions to.")]
        public string User { get; set; } = string.Empty;

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            return User.Length is > 0 and <= 512 && !User.Any(char.IsControl)
                ? ValidationResult.Success()
                : ValidationResult.Error("<USER> must be 1 to 512 characters without control characters.");
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var sessions = await redis.Store().GetUserSessionsAsync(settings.User, cancellationToken).ConfigureAwait(false);
        var now = await redis.Keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                settings.User,
                Sessions = sessions.Select(s => new
                {
                    s.Handle,
                    s.Metadata.Created,
                    s.Metadata.LastAccess,
                    s.Metadata.ExpiresAt,
                    s.Metadata.ClientIp,
                    s.Metadata.UserAgent,
                    s.Metadata.Size,
                }),
            });
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).Title($"Sessions of {Markup.Escape(settings.User)}")
            .AddColumn("handle").AddColumn("created").AddColumn(new TableColumn("last seen").RightAligned())
            .AddColumn(new TableColumn("expires in").RightAligned()).AddColumn("client ip").AddColumn("user agent");
        foreach (var s in sessions)
        {
            table.AddRow(
                Markup.Escape(s.Handle),
                Output.Time(s.Metadata.Created),
                Durations.Format(now - s.Metadata.LastAccess) + " ago",
                Durations.Format(s.Metadata.ExpiresAt - now),
                Output.Stored(s.Metadata.ClientIp),
                Output.Stored(Truncate(TerminalText.Strip(s.Metadata.UserAgent ?? "-"), 60)));
        }

        Env.Out.Write(table);
        Env.Out.MarkupLine($"{sessions.Count} session(s).");
        return ExitCodes.Ok;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
