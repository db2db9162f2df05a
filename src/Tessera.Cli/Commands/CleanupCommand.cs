using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera cleanup</c>: finds session keys without a TTL (left by a bug or a manual write; they never
/// expire), and sessions created before <c>revoke-all --everyone</c> (dead, not yet expired). A dry run by
/// default; <c>--apply --ttl 1h</c> gives each TTL-less one a TTL, <c>--apply --delete</c> deletes them; either
/// <c>--apply</c> deletes the dead ones.
/// </summary>
internal sealed class CleanupCommand(CliEnvironment environment) : ConnectedCommand<CleanupCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--apply")]
        [Description("Change Redis. Without it, only report what would change.")]
        public bool Apply { get; set; }

        [CommandOption("--ttl <DURATION>")]
        [Description("Give each TTL-less session this TTL, such as 1h.")]
        public string? TtlText { get; set; }

        [CommandOption("--delete")]
        [Description("Delete each TTL-less session (and drop it from its user's index).")]
        public bool Delete { get; set; }

        [CommandOption("--show-ids")]
        [Description("Print whole session ids in the sample; by default a short tag.")]
        public bool ShowIds { get; set; }

        public TimeSpan? Ttl { get; private set; }

        public CleanupAction Action => !Apply ? CleanupAction.None : Delete ? CleanupAction.Delete : CleanupAction.Expire;

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            if (ParseDuration("--ttl", TtlText, TimeSpan.FromSeconds(1), out var ttl) is { } bad)
            {
                return bad;
            }

            Ttl = ttl;
            if (Ttl is not null && Delete)
            {
                return ValidationResult.Error("Choose one of --ttl and --delete.");
            }

            if (Apply && Ttl is null && !Delete)
            {
                return ValidationResult.Error("--apply needs --ttl DURATION (give each a TTL) or --delete.");
            }

            return ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var report = await Output.WithProgressAsync(Env, settings.Json, settings.Apply ? "Cleaning" : "Scanning", progress =>
            redis.Admin.CleanupAsync(settings.Action, settings.Ttl, 20, progress, cancellationToken)).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                DryRun = !settings.Apply,
                report.Action,
                TtlMs = settings.Ttl is { } t ? (long?)t.TotalMilliseconds : null,
                report.ScannedKeys,
                report.Found,
                report.Applied,
                report.EveryoneRevokedAt,
                report.RevokedFound,
                report.RevokedDeleted,
                Sample = report.Sample.Select(s => new { Session = Output.Handle(s, settings.ShowIds), s.UserId, s.Created, s.Size }),
            });
            return ExitCodes.Ok;
        }

        if (report.Sample.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("TTL-less sessions")
                .AddColumn(settings.ShowIds ? "id" : "tag").AddColumn("user").AddColumn("created").AddColumn(new TableColumn("size").RightAligned());
            foreach (var s in report.Sample)
            {
                table.AddRow(Markup.Escape(Output.Handle(s, settings.ShowIds)), Markup.Escape(s.UserId ?? "-"), Output.Time(s.Created), ByteSizes.Format(s.Size));
            }

            Env.Out.Write(table);
        }

        Env.Out.MarkupLine($"Found {Output.N(report.Found)} TTL-less session(s) in {Output.N(report.ScannedKeys)} keys.");
        if (report.EveryoneRevokedAt is { } everyone)
        {
            Env.Out.MarkupLine(report.Action == CleanupAction.None
                ? $"Found {Output.N(report.RevokedFound)} session(s) and login(s) created before revoke-all --everyone ({Output.Time(everyone)}): dead, not yet expired. --apply deletes them."
                : $"Deleted {Output.N(report.RevokedDeleted)} of {Output.N(report.RevokedFound)} session(s) and login(s) created before revoke-all --everyone ({Output.Time(everyone)}).");
        }

        switch (report.Action)
        {
            case CleanupAction.None when report.Found > 0:
                Env.Out.MarkupLine("Dry run: nothing changed. Re-run with [bold]--apply --ttl 1h[/] to give them a TTL, or [bold]--apply --delete[/] to delete them.");
                break;
            case CleanupAction.None:
                Env.Out.MarkupLine("Dry run: nothing to do.");
                break;
            case CleanupAction.Expire:
                Env.Out.MarkupLine($"Gave {Output.N(report.Applied)} a TTL of {Durations.Format(settings.Ttl)}.");
                break;
            default:
                Env.Out.MarkupLine($"Deleted {Output.N(report.Applied)}.");
                break;
        }

        return ExitCodes.Ok;
    }
}
