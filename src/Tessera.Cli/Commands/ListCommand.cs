using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera list</c>: sessions that pass the filters, one page at a time. It prints whole session ids
/// on purpose: they are the operator's handle for <c>show</c> and <c>revoke</c>.
/// </summary>
internal sealed class ListCommand(CliEnvironment environment) : ConnectedCommand<ListCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--user <USER>")]
        [Description("Only sessions bound to this user (found by scanning, so it also finds sessions missing from the user index).")]
        public string? User { get; set; }

        [CommandOption("--idle-longer-than <DURATION>")]
        [Description("Only sessions not used for longer than this, such as 10m or 2h.")]
        public string? IdleLongerThanText { get; set; }

        [CommandOption("--larger-than <SIZE>")]
        [Description("Only sessions larger than this, such as 4KB.")]
        public string? LargerThanText { get; set; }

        [CommandOption("--no-ttl")]
        [Description("Only sessions without any expiry.")]
        public bool NoTtl { get; set; }

        [CommandOption("--limit <N>")]
        [Description("The most sessions on one page.")]
        [DefaultValue(50)]
        public int Limit { get; set; } = 50;

        [CommandOption("--cursor <CURSOR>")]
        [Description("Where to continue: the cursor the previous page printed.")]
        public string? CursorText { get; set; }

        public TimeSpan? IdleLongerThan { get; private set; }

        public long? LargerThan { get; private set; }

        public ScanPosition? Cursor { get; private set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            if (ParseDuration("--idle-longer-than", IdleLongerThanText, TimeSpan.Zero, out var idle) is { } bad)
            {
                return bad;
            }

            IdleLongerThan = idle;
            if (LargerThanText is not null)
            {
                if (!ByteSizes.TryParse(LargerThanText, out var bytes))
                {
                    return ValidationResult.Error($"--larger-than '{LargerThanText}' is not a size (such as 512, 4KB, 1.5MB).");
                }

                LargerThan = bytes;
            }

            if (Limit is < 1 or > 100_000)
            {
                return ValidationResult.Error("--limit must be between 1 and 100000.");
            }

            if (CursorText is not null)
            {
                if (!ScanPosition.TryParse(CursorText, out var cursor))
                {
                    return ValidationResult.Error($"--cursor '{CursorText}' is not a cursor printed by tessera list.");
                }

                Cursor = cursor;
            }

            if (User is { Length: 0 })
            {
                return ValidationResult.Error("--user cannot be empty.");
            }

            return ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var filter = new SessionFilter
        {
            UserId = settings.User,
            IdleLongerThan = settings.IdleLongerThan,
            LargerThan = settings.LargerThan,
            TtlLessOnly = settings.NoTtl,
        };
        var page = await Output.WithProgressAsync(Env, settings.Json, "Listing", progress =>
            redis.Admin.ListAsync(filter, settings.Limit, settings.Cursor, progress, cancellationToken)).ConfigureAwait(false);
        var now = await redis.Keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                Sessions = page.Sessions.Select(s => new
                {
                    s.Handle,
                    s.UserId,
                    s.Created,
                    s.LastAccess,
                    IdleMs = s.LastAccess is { } last ? (long?)(now - last).TotalMilliseconds : null,
                    TtlMs = s.Ttl is { } t ? (long?)t.TotalMilliseconds : null,
                    s.Size,
                }),
                Next = page.Next?.ToString(),
                page.ScannedKeys,
            });
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("id").AddColumn("user").AddColumn("created").AddColumn(new TableColumn("idle").RightAligned())
            .AddColumn(new TableColumn("ttl").RightAligned()).AddColumn(new TableColumn("size").RightAligned());
        foreach (var s in page.Sessions)
        {
            table.AddRow(
                Markup.Escape(s.Handle ?? "?"),
                Markup.Escape(s.UserId ?? "-"),
                Output.Time(s.Created),
                Durations.Format(s.LastAccess is { } last ? now - last : null),
                s.Ttl is null ? "[red]none[/]" : Durations.Format(s.Ttl),
                ByteSizes.Format(s.Size));
        }

        Env.Out.Write(table);
        Env.Out.MarkupLine($"{page.Sessions.Count} session(s), {Output.N(page.ScannedKeys)} keys scanned.");
        if (page.Next is { } next)
        {
            Env.Out.MarkupLine($"More: add [bold]--cursor {next}[/]");
        }

        return ExitCodes.Ok;
    }
}
