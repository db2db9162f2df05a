using Spectre.Console;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera user sessions USER</c>: a user's devices from the user index (no scan), most recently
/// seen first. A device is a login (a cookie-authentication ticket) with the sessions signed in with
/// it, or a session on its own. Prints whole handles on purpose: they are what <c>show</c> and
/// <c>revoke</c> take, and revoking a device's handle ends its login and its linked sessions.
/// </summary>
internal sealed class UserSessionsCommand(CliEnvironment environment) : ConnectedCommand<UserSettings>(environment)
{
    protected override async Task<int> RunAsync(Connected redis, UserSettings settings, CancellationToken cancellationToken)
    {
        var devices = await redis.Store().Users.GetUserSessionsAsync(settings.User, cancellationToken).ConfigureAwait(false);
        var now = await redis.Keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        var sessions = devices.Sum(static d => 1 + d.LinkedHandles.Count);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                settings.User,
                Devices = devices.Count,
                Sessions = devices.Select(static s => new
                {
                    s.Handle,
                    s.Metadata.DeviceName,
                    s.Metadata.DeviceLabel,
                    s.Metadata.SignInMethod,
                    s.Metadata.Created,
                    s.Metadata.AuthenticatedAt,
                    s.Metadata.LastAccess,
                    s.Metadata.ExpiresAt,
                    s.Metadata.ClientIp,
                    s.Metadata.UserAgent,
                    s.Metadata.LastClientIp,
                    s.Metadata.LastUserAgent,
                    s.Metadata.Size,
                    s.LinkedHandles,
                }),
            });
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).Title($"Devices of {Output.Stored(settings.User)}")
            .AddColumn(new TableColumn("handle").NoWrap()).AddColumn("device").AddColumn("signed in with").AddColumn("created").AddColumn("authenticated")
            .AddColumn(new TableColumn("last seen").RightAligned()).AddColumn(new TableColumn("expires in").RightAligned())
            .AddColumn("last seen from").AddColumn("user agent (last seen)").AddColumn(new TableColumn("linked").RightAligned());
        foreach (var s in devices)
        {
            var m = s.Metadata;
            table.AddRow(
                Markup.Escape(s.Handle),
                // The name is the user's, the label the user agent's: both attacker-controlled text, stored cleaned and escaped again here.
                m.DeviceName is { } name ? $"{Output.Stored(name)}\n[dim]{Output.Stored(m.DeviceLabel)}[/]" : Output.Stored(m.DeviceLabel),
                Output.Stored(m.SignInMethod),
                Output.Time(m.Created),
                Output.Time(m.AuthenticatedAt),
                Durations.Format(now - m.LastAccess) + " ago",
                Durations.Format(m.ExpiresAt - now),
                Output.Stored(m.LastClientIp ?? m.ClientIp),
                Output.Stored(Truncate(TerminalText.Strip(m.LastUserAgent ?? m.UserAgent ?? "-"), 60)),
                s.LinkedHandles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Env.Out.Write(table);
        Env.Out.MarkupLine($"{devices.Count} device(s), {sessions} session(s) in all (linked: sessions signed in with the device's login, revoked with it).");
        return ExitCodes.Ok;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
