using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera stats</c>: one paced scan of every session, then counts, TTLs, sizes, users and memory.</summary>
internal sealed class StatsCommand(CliEnvironment environment) : ConnectedCommand<StatsCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--top <N>")]
        [Description("How many of the largest sessions and busiest users to show.")]
        [DefaultValue(10)]
        public int Top { get; set; } = 10;

        [CommandOption("--memory-usage")]
        [Description("Ask Redis MEMORY USAGE for every session (one more command per key) and base the size percentiles on it.")]
        public bool MemoryUsage { get; set; }

        [CommandOption("--show-ids")]
        [Description("Print whole session ids (they are credentials); by default a short non-reversible tag is shown.")]
        public bool ShowIds { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            return Top is < 0 or > 1000 ? ValidationResult.Error("--top must be between 0 and 1000.") : ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var options = new StatsOptions { Top = settings.Top, MemoryUsage = settings.MemoryUsage };
        var stats = await Output.WithProgressAsync(Env, settings.Json, "Scanning", progress =>
            redis.Admin.CollectStatsAsync(options, progress, cancellationToken)).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, ToJson(stats, settings.ShowIds));
            return ExitCodes.Ok;
        }

        Render(stats, settings.ShowIds);
        return ExitCodes.Ok;
    }

    private static object ToJson(SessionStats s, bool showIds) => new
    {
        s.ScannedKeys,
        s.Sessions,
        s.Tombstones,
        s.UserIndexes,
        s.Locks,
        s.Foreign,
        s.TtlLess,
        TtlLessSessions = s.TtlLessSample.Select(x => Output.Handle(x, showIds)),
        TtlHistogram = s.TtlHistogram.Select(static b => new { b.Label, UpperBoundMs = b.UpperBound is { } u ? (long?)u.TotalMilliseconds : null, b.Count }),
        Sizes = new { s.Sizes.Source, s.Sizes.Count, s.Sizes.Total, s.Sizes.P50, s.Sizes.P90, s.Sizes.P99, s.Sizes.Max },
        Largest = s.Largest.Select(x => new { Session = Output.Handle(x, showIds), x.Size, x.MemoryUsage, x.UserId, TtlMs = x.Ttl is { } t ? (long?)t.TotalMilliseconds : null }),
        s.WithUser,
        s.DistinctUsers,
        TopUsers = s.TopUsers,
        Memory = s.Memory,
        ElapsedMs = Math.Round(s.Elapsed.TotalMilliseconds, 1),
        KeysPerSecond = Math.Round(s.KeysPerSecond),
    };

    private void Render(SessionStats s, bool showIds)
    {
        var console = Env.Out;
        var counts = new Table().Border(TableBorder.Rounded).Title("Keys under the prefix").AddColumn("kind").AddColumn(new TableColumn("count").RightAligned());
        counts.AddRow("sessions", Output.N(s.Sessions));
        counts.AddRow("  with a user", Output.N(s.WithUser));
        counts.AddRow("  without TTL", s.TtlLess > 0 ? $"[red]{Output.N(s.TtlLess)}[/]" : "0");
        counts.AddRow("rotation tombstones", Output.N(s.Tombstones));
        counts.AddRow("user indexes", Output.N(s.UserIndexes));
        counts.AddRow("locks", Output.N(s.Locks));
        counts.AddRow("other keys", Output.N(s.Foreign));
        console.Write(counts);

        var histogram = new BarChart().Label("Sessions by remaining TTL").Width(60);
        foreach (var bucket in s.TtlHistogram)
        {
            histogram.AddItem(bucket.Label, bucket.Count, bucket.UpperBound is null && bucket.Label == "none" ? Color.Red : Color.Green);
        }

        console.Write(histogram);

        var sizes = new Table().Border(TableBorder.Rounded).Title($"Session size ({s.Sizes.Source})");
        foreach (var column in new[] { "p50", "p90", "p99", "max", "total" })
        {
            sizes.AddColumn(new TableColumn(column).RightAligned());
        }

        sizes.AddRow(ByteSizes.Format(s.Sizes.P50), ByteSizes.Format(s.Sizes.P90), ByteSizes.Format(s.Sizes.P99), ByteSizes.Format(s.Sizes.Max), ByteSizes.Format(s.Sizes.Total));
        console.Write(sizes);

        if (s.Largest.Count > 0)
        {
            var largest = new Table().Border(TableBorder.Rounded).Title("Largest sessions")
                .AddColumn(showIds ? "id" : "tag").AddColumn("user").AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("ttl").RightAligned());
            foreach (var x in s.Largest)
            {
                largest.AddRow(Markup.Escape(Output.Handle(x, showIds)), Markup.Escape(x.UserId ?? "-"), ByteSizes.Format(x.MemoryUsage ?? x.Size), Durations.Format(x.Ttl));
            }

            console.Write(largest);
        }

        if (s.TopUsers.Count > 0)
        {
            var users = new Table().Border(TableBorder.Rounded).Title("Users with most sessions").Caption($"{Output.N(s.DistinctUsers)} users in all")
                .AddColumn("user").AddColumn(new TableColumn("sessions").RightAligned());
            foreach (var u in s.TopUsers)
            {
                users.AddRow(Markup.Escape(u.UserId), Output.N(u.Sessions));
            }

            console.Write(users);
        }

        if (s.TtlLess > 0)
        {
            console.MarkupLine($"[red]{Output.N(s.TtlLess)} session(s) have no TTL[/] and will never expire: {Markup.Escape(string.Join(", ", s.TtlLessSample.Select(x => Output.Handle(x, showIds))))}{(s.TtlLess > s.TtlLessSample.Count ? ", ..." : string.Empty)}");
            console.MarkupLine("Fix them with [bold]tessera cleanup --apply --ttl 1h[/] (or --delete).");
        }

        var memory = new Table().Border(TableBorder.Rounded).Title("Memory (INFO memory)")
            .AddColumn("server").AddColumn(new TableColumn("used").RightAligned()).AddColumn(new TableColumn("peak").RightAligned())
            .AddColumn(new TableColumn("maxmemory").RightAligned()).AddColumn("policy").AddColumn(new TableColumn("keys").RightAligned());
        foreach (var m in s.Memory)
        {
            memory.AddRow(Markup.Escape(m.Endpoint), m.UsedHuman ?? ByteSizes.Format(m.UsedBytes), m.PeakHuman ?? "-", m.MaxBytes == 0 ? "none" : ByteSizes.Format(m.MaxBytes), m.Policy ?? "-", Output.N(m.Keys));
        }

        console.Write(memory);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Scanned {Output.N(s.ScannedKeys)} keys in {s.Elapsed.TotalSeconds:0.00} s ({s.KeysPerSecond:N0} keys/s)."));
    }
}
