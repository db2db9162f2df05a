using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera doctor</c>: audits the Redis behind the sessions; exit 1 when any finding is an error.</summary>
internal sealed class DoctorCommand(CliEnvironment environment) : ConnectedCommand<DoctorCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--app-user <USER>")]
        [Description("Check the dangerous-command rights of this ACL user (the application's), not of the user doctor connects as.")]
        public string? AppUser { get; set; }

        [CommandOption("--pings <N>")]
        [Description("PING round trips to time per master.")]
        [DefaultValue(10)]
        public int Pings { get; set; } = 10;

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            return Pings is < 1 or > 1000 ? ValidationResult.Error("--pings must be between 1 and 1000.") : ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var options = new DoctorOptions { AppUser = settings.AppUser, Pings = settings.Pings, Configuration = redis.Configuration };
        var report = await new RedisDoctor(redis.Keyspace).RunAsync(options, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                report.Findings,
                Errors = report.Count(FindingSeverity.Error),
                Warnings = report.Count(FindingSeverity.Warning),
            });
        }
        else
        {
            foreach (var server in report.Findings.GroupBy(static f => f.Server ?? "deployment"))
            {
                var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(server.Key))
                    .AddColumn(new TableColumn("").NoWrap()).AddColumn(new TableColumn("check").NoWrap()).AddColumn("finding");
                foreach (var f in server)
                {
                    var finding = Markup.Escape(f.Message) + (f.Fix is { } fix ? $"\n[dim]fix: {Markup.Escape(fix)}[/]" : string.Empty);
                    table.AddRow(
                        f.Severity switch
                        {
                            FindingSeverity.Error => "[red]error[/]",
                            FindingSeverity.Warning => "[yellow]warning[/]",
                            FindingSeverity.Info => "[blue]info[/]",
                            _ => "[green]ok[/]",
                        },
                        Markup.Escape(f.Check),
                        finding);
                }

                Env.Out.Write(table);
            }

            Env.Out.MarkupLine($"{report.Count(FindingSeverity.Error)} error(s), {report.Count(FindingSeverity.Warning)} warning(s), {report.Count(FindingSeverity.Info)} info, {report.Count(FindingSeverity.Ok)} ok.");
        }

        return report.HasErrors ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
