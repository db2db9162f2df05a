using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.Cli.Tests;
using Tessera.TestUtils;

namespace Tessera.Dashboard.Tests;

/// <summary>
/// The overview over 100,000 sessions on a redis-server of its own (the shared one would add other
/// tests' keys to the scan), with the dashboard's default pacing. Prints its timings
/// (<c>--output Detailed</c>); the figure in docs/dashboard.md comes from here.
/// </summary>
public sealed partial class DashboardScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Overview_100kSessions_CountsEveryOne_CachedViewIsInstant()
    {
        using var server = RedisServerProcess.Start();
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},allowAdmin=true,asyncTimeout=60000,syncTimeout=60000"); // seeding 100 scripts of 1,000 sessions queues up under load
        const string prefix = "session:";
        var seeding = Stopwatch.StartNew();
        await Seeder.SeedAsync(mux.GetDatabase(), prefix, 100_000, users: 1000);
        output.WriteLine($"seeded 100,000 sessions in {seeding.Elapsed.TotalSeconds:0.00} s");

        // The default pacing (SCAN COUNT 1000, 5 ms pause every 10 batches), as in production.
        await using var app = await DashboardApp.StartAsync(server.Endpoint, prefix, o => o.Scan = new AdminScanOptions());
        using var client = app.Client();
        client.Timeout = TimeSpan.FromMinutes(2);

        var first = Stopwatch.StartNew();
        using var response = await client.GetAsync("/admin/sessions");
        first.Stop();
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("100000", Figure().Match(html).Groups[1].Value);

        // The cached view scans nothing: what makes it instant, asserted as commands sent rather than as a
        // time (a 1/4-of-the-first-view bound failed on a busy box).
        var cached = Stopwatch.StartNew();
        HttpResponseMessage? again = null;
        var sent = await new CommandCounter(server.Port).MeasureAsync(async () => again = await client.GetAsync("/admin/sessions"));
        cached.Stop();
        Assert.Equal(HttpStatusCode.OK, again!.StatusCode);
        Assert.False(sent.ContainsKey("scan"), $"the cached view sent {string.Join(", ", sent.Select(c => $"{c.Key} x{c.Value}"))}");
        again.Dispose();

        var cli = Stopwatch.StartNew();
        var stats = await new SessionAdmin(new SessionKeyspace(mux, prefix)).CollectStatsAsync();
        cli.Stop();
        Assert.Equal(100_000, stats.Sessions);
        output.WriteLine($"overview, first view (scan of {stats.ScannedKeys:N0} keys + INFO + 5 largest): {first.Elapsed.TotalSeconds:0.00} s");
        output.WriteLine($"overview, cached view: {cached.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine($"SessionAdmin.CollectStatsAsync alone (what tessera stats runs): {cli.Elapsed.TotalSeconds:0.00} s");
    }

    [GeneratedRegex("data-figure=\"sessions\" data-value=\"(\\d+)\"")]
    private static partial Regex Figure();
}
