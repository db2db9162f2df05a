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

        [CommandOption("--sample <COUNT>")]
        [Description("Estimate from about this many keys drawn at random (1000 to 1000000) instead of scanning every key: each count with its 95% interval. A keyspace no larger than the sample, or Garnet, is scanned in full.")]
        public int? Sample { get; set; }

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

            if (Sample is { } sample && (sample < 1000 || sample > SessionAdmin.MaxSampleKeys))
            {
                return ValidationResult.Error("--sample must be between 1000 and 1000000.");
            }

            return Top is < 0 or > 1000 ? ValidationResult.Error("--top must be between 0 and 1000.") : ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Sample is { } sample
            && await redis.Keyspace.CountAllKeysAsync(cancellationToken).ConfigureAwait(false) > sample
            && await redis.Keyspace.SupportsSamplingAsync(cancellationToken).ConfigureAwait(false))
        {
            var estimate = await Output.WithProgressAsync(Env, settings.Json, "Sampling", progress =>
                redis.Admin.SampleStatsAsync(sample, progress, null, cancellationToken)).ConfigureAwait(false);
            if (settings.Json)
            {
                Output.Json(Env, ToJson(estimate));
            }
            else
            {
                Render(estimate);
            }

            return ExitCodes.Ok;
        }

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

    private static object ToJson(SessionEstimate e) => new
    {
        Sampled = true,
        e.TotalKeys,
        e.SampledKeys,
        e.SampledSessions,
        Confidence = 0.95,
        Sessions = Json(e.Sessions),
        WithUser = Json(e.WithUser),
        TtlLess = Json(e.TtlLess),
        Tombstones = Json(e.Tombstones),
        UserIndexes = Json(e.UserIndexes),
        Locks = Json(e.Locks),
        Foreign = Json(e.Foreign),
        OutsidePrefix = Json(e.Outside),
        TtlHistogram = e.TtlHistogram.Select(static b => new { b.Label, UpperBoundMs = b.UpperBound is { } u ? (long?)u.TotalMilliseconds : null, Count = Json(b.Count) }),
        Sizes = new { Source = "#s", P50 = Json(e.SizeP50), P90 = Json(e.SizeP90), P99 = Json(e.SizeP99), e.SizeMaxSampled, Total = Math.Round(e.SizeTotal) },
        Memory = e.Memory,
        ElapsedMs = Math.Round(e.Elapsed.TotalMilliseconds, 1),
    };

    private static object Json(Estimate e) => new { Value = Math.Round(e.Value), Low = Math.Floor(e.Low), High = Math.Ceiling(e.High) };

    private void Render(SessionEstimate e)
    {
        var console = Env.Out;
        var counts = new Table().Border(TableBorder.Rounded).Title("Keys, estimated")
            .AddColumn("kind").AddColumn(new TableColumn("estimate").RightAligned()).AddColumn(new TableColumn("95% interval").RightAligned());
        void Row(string kind, Estimate x) => counts.AddRow(kind, Output.N((long)Math.Round(x.Value)), $"{Output.N((long)Math.Floor(x.Low))} to {Output.N((long)Math.Ceiling(x.High))}");
        Row("sessions", e.Sessions);
        Row("  with a user", e.WithUser);
        Row("  without TTL", e.TtlLess);
        Row("rotation tombstones", e.Tombstones);
        Row("user indexes", e.UserIndexes);
        Row("locks", e.Locks);
        Row("other keys under the prefix", e.Foreign);
        Row("keys outside the prefix", e.Outside);
        foreach (var bucket in e.TtlHistogram)
        {
            Row("TTL " + bucket.Label, bucket.Count);
        }

        console.Write(counts);
        var sizes = new Table().Border(TableBorder.Rounded).Title("Session size (#s), sampled").AddColumn("percentile").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn(new TableColumn("95% interval").RightAligned());
        foreach (var (name, x) in new[] { ("p50", e.SizeP50), ("p90", e.SizeP90), ("p99", e.SizeP99) })
        {
            sizes.AddRow(name, ByteSizes.Format((long)x.Value), $"{ByteSizes.Format((long)x.Low)} to {ByteSizes.Format((long)x.High)}");
        }

        console.Write(sizes);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"Estimated from {Output.N(e.SampledKeys)} keys sampled at random of {Output.N(e.TotalKeys)} (DBSIZE) in {e.Elapsed.TotalSeconds:0.00} s: sessions ±{e.Sessions.RelativeMargin * 100:0.0}% at 95%. Without --sample, stats counts every key."));
    }

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
