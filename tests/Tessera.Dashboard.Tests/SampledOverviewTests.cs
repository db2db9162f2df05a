using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.Cli.Tests;
using Tessera.TestUtils;

namespace Tessera.Dashboard.Tests;

/// <summary>
/// The sampled overview against a redis-server of its own (the shared one holds other tests' keys, which
/// a sample of the whole database would count): 20,000 sessions of mixed kinds (three TTLs, signed in or
/// not, TTL-less ones), rotation tombstones, user indexes and another application's keys. The estimates
/// must hold the true counts within their stated error; a cancelled full scan must stop.
/// </summary>
public sealed partial class SampledOverviewTests : IAsyncLifetime
{
    private const string Prefix = "session:";
    private const int Short = 8_000, Medium = 6_000, Long = 6_000, TtlLess = 1_000, Tombstones = 1_000, Outside = 3_000;
    private RedisServerProcess? _server;
    private ConnectionMultiplexer? _mux;
    private Truth _truth = null!;

    private sealed record Truth(long Sessions, long WithUser, long TtlLess, long Tombstones, long UserIndexes, long Outside, IReadOnlyDictionary<string, long> Buckets);

    public async ValueTask InitializeAsync()
    {
        _server = RedisServerProcess.Start();
        _mux = await ConnectionMultiplexer.ConnectAsync($"{_server.Endpoint},allowAdmin=true,asyncTimeout=30000");
        var db = _mux.GetDatabase();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Three runs of the seeder's script: 20 min TTLs over 100 users, 3 h over 50 users, 2 days over 500 users.
        var runs = new (int First, int Count, int Users, long TtlMs)[]
        {
            (0, Short, 100, 20 * 60_000L),
            (Short, Medium, 50, 3 * 3_600_000L),
            (Short + Medium, Long, 500, 2 * 86_400_000L),
        };
        foreach (var (first, count, users, ttl) in runs)
        {
            for (var at = first; at < first + count; at += 1000)
            {
                await db.ScriptEvaluateAsync(Seeder.Script, [], [Prefix, at, Math.Min(1000, first + count - at), users, now, ttl, ttl, 200]);
            }
        }

        // Anonymous sessions: the user field removed from every other one of the long run (their index entries stay,
        // as a stale member would). TTL-less ones: the last TtlLess of the short run, persisted.
        var batch = db.CreateBatch();
        var pending = new List<Task>();
        for (var n = Short + Medium; n < Short + Medium + Long; n += 2)
        {
            pending.Add(batch.HashDeleteAsync(Prefix + Seeder.IdOf(n), "#u"));
        }

        for (var n = Short - TtlLess; n < Short; n++)
        {
            pending.Add(batch.KeyPersistAsync(Prefix + Seeder.IdOf(n)));
        }

        for (var n = 0; n < Tombstones; n++)
        {
            var key = Prefix + Seeder.IdOf(1_000_000 + n);
            pending.Add(batch.HashSetAsync(key, "#r", Seeder.IdOf(n)));
            pending.Add(batch.KeyExpireAsync(key, TimeSpan.FromHours(1)));
        }

        for (var n = 0; n < Outside; n++)
        {
            pending.Add(batch.StringSetAsync($"other-app:cache:{n}", "x", TimeSpan.FromHours(1)));
        }

        batch.Execute();
        await Task.WhenAll(pending);

        const long sessions = Short + Medium + Long;
        var buckets = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["15m-1h"] = Short - TtlLess,
            ["1h-6h"] = Medium,
            [">= 24h"] = Long,
            ["none"] = TtlLess,
        };
        _truth = new Truth(sessions, sessions - (Long / 2), TtlLess, Tombstones, 500, Outside, buckets); // the runs share users: user0..user499 in all
        Assert.Equal(sessions + Tombstones + 500 + Outside, await _mux.GetServers()[0].DatabaseSizeAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null)
        {
            await _mux.DisposeAsync();
        }

        _server?.Dispose();
    }

    [Fact]
    public async Task SampleStats_TwentyDraws_EstimatesHoldTheTruthWithinTheirStatedError()
    {
        var admin = new SessionAdmin(new SessionKeyspace(_mux!, Prefix, new AdminScanOptions { PauseEvery = 0 }));
        Assert.True(await admin.Keyspace.SupportsSamplingAsync(TestContext.Current.CancellationToken));
        int held = 0, checkedFigures = 0;
        var misses = new List<string>();
        for (var draw = 0; draw < 20; draw++)
        {
            var e = await admin.SampleStatsAsync(3_000, null, new Random(draw), TestContext.Current.CancellationToken);
            Assert.False(e.IsExact);
            Assert.InRange(e.SampledKeys, 2_500, 4_500);
            var figures = new List<(string Name, Estimate Estimate, double Truth)>
            {
                ("sessions", e.Sessions, _truth.Sessions),
                ("with user", e.WithUser, _truth.WithUser),
                ("ttl-less", e.TtlLess, _truth.TtlLess),
                ("tombstones", e.Tombstones, _truth.Tombstones),
                ("user indexes", e.UserIndexes, _truth.UserIndexes),
                ("outside", e.Outside, _truth.Outside),
            };
            figures.AddRange(e.TtlHistogram.Select(b => ("ttl " + b.Label, b.Count, (double)_truth.Buckets.GetValueOrDefault(b.Label))));
            foreach (var (name, estimate, truth) in figures)
            {
                checkedFigures++;
                if (estimate.Contains(truth))
                {
                    held++;
                }
                else
                {
                    misses.Add($"draw {draw} {name}: {estimate} vs {truth}");
                }

                // No bias: even a miss is within three margins (about 6 standard errors) of the truth.
                Assert.True(Math.Abs(estimate.Value - truth) <= Math.Max(1, 3 * estimate.Margin) || (truth == 0 && estimate.Value == 0), $"draw {draw} {name}: {estimate} vs {truth}");
            }

            // Sizes: every seeded session has the same #s, so every percentile is that.
            Assert.Equal(e.SizeP50.Value, e.SizeP99.Value);
        }

        // 95% intervals: about 95% hold. Fewer than 85% would be a biased sampler or a wrong interval.
        var coverage = (double)held / checkedFigures;
        Assert.True(coverage >= 0.85, $"{held} of {checkedFigures} held: {string.Join("; ", misses)}");
    }

    [Fact]
    public async Task Overview_SampledPage_StatesItsBasisAndItsIntervalHoldsTheSessionCount()
    {
        await using var app = await DashboardApp.StartAsync(_server!.Endpoint, Prefix, o => o.OverviewSampleKeys = 3_000);
        using var client = app.Client();
        using var response = await client.GetAsync("/admin/sessions", TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-basis=\"sample\"", html, StringComparison.Ordinal);
        Assert.Matches("Estimated from [0-9,]+ keys sampled at random of 24,500", html);
        var m = SessionsFigure().Match(html);
        Assert.True(m.Success, "no sessions figure with an interval");
        double value = long.Parse(m.Groups[1].Value), low = long.Parse(m.Groups[2].Value), high = long.Parse(m.Groups[3].Value);
        var margin = (high - low) / 2;

        // One draw: allow twice the stated margin (about 4 standard errors) so the test does not fail one run in 20.
        Assert.InRange(_truth.Sessions, low - margin, high + margin);
        Assert.InRange(value, low, high);
        Assert.Contains("Listed after a full scan", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FullScan_Cancelled_StopsBetweenBatchesAndTheOverviewSaysSo()
    {
        // A slow scan: 100 keys a batch and a 100 ms pause after each, so about 25 s for the whole keyspace.
        await using var app = await DashboardApp.StartAsync(_server!.Endpoint, Prefix, o =>
        {
            o.OverviewSampleKeys = 3_000;
            o.Scan = new AdminScanOptions { Count = 100, PauseEvery = 1, Pause = TimeSpan.FromMilliseconds(100) };
        });
        var state = app.Services.GetRequiredService<DashboardState>();
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/cleanup"); // its first hidden field is the token
        using var start = await client.PostAsync("/admin/sessions/scan", new FormUrlEncodedContent([token, new("step", "start")]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.SeeOther, start.StatusCode);
        Assert.Equal(FullScanState.Running, state.FullScan.State);
        await Eventually.TrueAsync(() => Task.FromResult(state.FullScan.Progress is { ScannedKeys: > 0 }), TimeSpan.FromSeconds(20));

        var running = await client.GetStringAsync("/admin/sessions", TestContext.Current.CancellationToken);
        Assert.Contains("data-full-scan=\"running\"", running, StringComparison.Ordinal);
        Assert.Contains("Cancel the full scan", running, StringComparison.Ordinal);

        using var cancel = await client.PostAsync("/admin/sessions/scan", new FormUrlEncodedContent([token, new("step", "cancel")]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.SeeOther, cancel.StatusCode);

        // It stops at the next batch: a bounded wait (far below the 25 s the whole scan takes), not a timing.
        await state.FullScanTask!.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(FullScanState.Cancelled, state.FullScan.State);
        Assert.True(state.FullScan.Progress!.ScannedKeys < _truth.Sessions, $"scanned {state.FullScan.Progress.ScannedKeys}");
        var after = await client.GetStringAsync("/admin/sessions", TestContext.Current.CancellationToken);
        Assert.Contains("data-full-scan=\"cancelled\"", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FullScan_BadStep_Is400AndStartsNothing()
    {
        await using var app = await DashboardApp.StartAsync(_server!.Endpoint, Prefix, o => o.OverviewSampleKeys = 3_000);
        var state = app.Services.GetRequiredService<DashboardState>();
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/cleanup"); // its first hidden field is the token
        using var response = await client.PostAsync("/admin/sessions/scan", new FormUrlEncodedContent([token, new("step", "everything")]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(FullScanState.None, state.FullScan.State);
    }

    private static async Task<KeyValuePair<string, string>> TokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        var match = TokenField().Match(html);
        Assert.True(match.Success, "no antiforgery field on " + page);
        return new(match.Groups[1].Value, WebUtility.HtmlDecode(match.Groups[2].Value));
    }

    [GeneratedRegex("data-figure=\"sessions\" data-value=\"(\\d+)\" data-low=\"(\\d+)\" data-high=\"(\\d+)\"")]
    private static partial Regex SessionsFigure();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenField();
}
