using Spectre.Console;
using Spectre.Console.Cli;
using StackExchange.Redis;
using Tessera.Cli.Commands;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli;

/// <summary>The command tree, strict parsing, and the one exception handler that turns failures into exit codes.</summary>
internal static class TesseraCli
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliEnvironment environment)
    {
        var app = new CommandApp(new TypeRegistrar(environment));
        app.Configure(config =>
        {
            config.SetApplicationName("tessera");
            config.ConfigureConsole(environment.Out);
            config.UseStrictParsing();
            config.SetExceptionHandler((ex, _) => Handle(ex, environment));
            config.CancellationExitCode(ExitCodes.Cancelled);
            config.AddCommand<StatsCommand>("stats")
                .WithDescription("Count sessions; TTL histogram, size percentiles, largest sessions, TTL-less keys, busiest users, memory.")
                .WithExample(["stats"]).WithExample(["stats", "--json", "--redis", "redis:6379,password=..."]);
            config.AddCommand<ListCommand>("list")
                .WithDescription("List sessions (whole ids: the handle for show/revoke), with filters and paging.")
                .WithExample(["list", "--idle-longer-than", "10m", "--larger-than", "4KB", "--limit", "20"]);
            config.AddCommand<ShowCommand>("show")
                .WithDescription("One session: metadata, value names and sizes (values with --values).")
                .WithExample(["show", "<ID>", "--values"]);
            config.AddCommand<RevokeCommand>("revoke")
                .WithDescription("Revoke one session (its user is logged out on the next request).")
                .WithExample(["revoke", "<ID>"]);
            config.AddCommand<RevokeAllCommand>("revoke-all")
                .WithDescription("Revoke every session and login of every user at once (after a key or secret compromise); asks first, or --yes.")
                .WithExample(["revoke-all", "--everyone"]).WithExample(["revoke-all", "--everyone", "--yes"]);
            config.AddBranch("user", user =>
            {
                user.SetDescription("A user's devices and sessions, from the user index.");
                user.AddCommand<UserSessionsCommand>("sessions").WithDescription("List a user's devices (a login with its linked sessions, or a session).").WithExample(["user", "sessions", "alice"]);
                user.AddCommand<UserRevokeAllCommand>("revoke-all").WithDescription("Log a user out everywhere.").WithExample(["user", "revoke-all", "alice"]);
                user.AddCommand<UserEraseCommand>("erase")
                    .WithDescription("Erase a user's sessions and device records (GDPR erasure); asks first, or --yes.")
                    .WithExample(["user", "erase", "alice", "--yes"]);
                user.AddCommand<UserExportCommand>("export")
                    .WithDescription("Export a user's device records and session values (GDPR access request).")
                    .WithExample(["user", "export", "alice", "--json"]).WithExample(["user", "export", "alice", "--json", "--key-file", "/run/secrets/tessera-keys"]);
            });
            config.AddCommand<CleanupCommand>("cleanup")
                .WithDescription("Find session keys without a TTL, and sessions revoke-all --everyone ended; --apply --ttl 1h or --apply --delete fixes them (dry run by default).")
                .WithExample(["cleanup"]).WithExample(["cleanup", "--apply", "--ttl", "1h"]);
            config.AddCommand<WatchCommand>("watch")
                .WithDescription("Live session count and server rates until Ctrl+C.")
                .WithExample(["watch", "--interval", "1s"]);
            config.AddCommand<DoctorCommand>("doctor")
                .WithDescription("Audit the Redis behind the sessions; exit 1 on any error.")
                .WithExample(["doctor"]).WithExample(["doctor", "--json"]);
        });
        var code = await app.RunAsync(ProtectDashedIds(args), environment.Cancellation).ConfigureAwait(false);

        // Spectre prints help and returns 1 for a branch without its command ("tessera user"): usage.
        return code != ExitCodes.Ok && environment.HandledExitCode is null && !environment.CommandStarted ? ExitCodes.Usage : code;
    }

    /// <summary>
    /// One id in 64 starts with '-', which any parser reads as an option. Such a token, when it is a
    /// well-formed session id, is passed on as <c>id:-...</c>, a form the id arguments accept (a session
    /// id never holds ':'), so <c>tessera show -abc...</c> just works.
    /// </summary>
    internal static string[] ProtectDashedIds(IEnumerable<string> args) =>
        [.. args.Select(static a => a.StartsWith('-') && SessionIds.IsValid(a) ? SessionIdArgument.Marker + a : a)];

    /// <summary>The single exception handler: one line on stderr, and the exit code that says what kind of failure it was.</summary>
    internal static int Handle(Exception ex, CliEnvironment environment)
    {
        var code = Report(ex, environment);
        environment.HandledExitCode = code;
        return code;
    }

    private static int Report(Exception ex, CliEnvironment environment)
    {
        var error = environment.Error;
        switch (ex)
        {
            case CommandAppException app:
                if (app.Pretty is { } pretty)
                {
                    error.Write(pretty);
                }
                else
                {
                    error.MarkupLine($"[red]Error:[/] {Markup.Escape(app.Message)}");
                }

                error.MarkupLine("Run [bold]tessera --help[/] (or tessera COMMAND --help) for usage.");
                return ExitCodes.Usage;
            case CliException cli:
                error.MarkupLine($"[red]Error:[/] {Markup.Escape(cli.Message)}");
                return cli.ExitCode;
            case OperationCanceledException when environment.Cancellation.IsCancellationRequested:
                error.MarkupLine("Interrupted.");
                return ExitCodes.Cancelled;
            case RedisConnectionException or RedisTimeoutException or TimeoutException or TesseraUnavailableException:
                error.MarkupLine($"[red]Error:[/] Lost Redis: {Markup.Escape(FirstLine(ex.Message))}");
                return ExitCodes.Unreachable;
            case RedisServerException server:
                error.MarkupLine($"[red]Error:[/] Redis refused: {Markup.Escape(FirstLine(server.Message))}");
                return ExitCodes.Failed;
            case ArgumentException argument:
                // Also Spectre's value conversions: "abc is not a valid value for Int32. (Parameter 'value')".
                var message = FirstLine(argument.Message).Replace(" (Parameter 'value')", string.Empty, StringComparison.Ordinal)
                    .Replace("for Int32", "for a whole number", StringComparison.Ordinal);
                error.MarkupLine($"[red]Error:[/] {Markup.Escape(message)}");
                if (!environment.CommandStarted)
                {
                    error.MarkupLine("Run [bold]tessera --help[/] (or tessera COMMAND --help) for usage.");
                }

                return ExitCodes.Usage;
            default:
                error.MarkupLine($"[red]tessera failed:[/] {Markup.Escape(ex.GetType().Name)}: {Markup.Escape(FirstLine(ex.Message))}");
                if (environment.GetVariable("TESSERA_DEBUG") is "1")
                {
                    error.WriteException(ex);
                }

                return ExitCodes.Internal;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
