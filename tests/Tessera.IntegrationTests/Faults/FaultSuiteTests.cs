using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using Tessera.TestUtils;
using Xunit;

namespace Tessera.IntegrationTests;

/// <summary>
/// Failure as a tested feature: real redis-server behind <see cref="FaultProxy"/> (or killed, or full),
/// the real pipeline, and what users rely on asserted: fail fast once Redis is known down, only 200 or
/// 503, no reply to the wrong request, no acknowledged write lost, no write applied twice.
/// Figures go to the test output (and docs/operations.md). Its latency bounds are timings on a
/// 2-core box: the class runs alone (test.sh runs the <c>Timing</c> category after every other test,
/// and within this assembly it never runs beside another class).
/// </summary>
[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Name)]
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Blackhole_Under200ConcurrentReads_FailsFastAfterTheFirstTimeouts_AndResumesWithinASecond()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "bh:", o => o.OperationTimeout = Bound);
        using var rejected = new CounterTotal(app.Store.Metrics.CircuitRejected);
        var clients = await SignInAsync(app, 20);

        // Blackhole 5 s (the issue says 10; 5 keeps CI time down and shows the same thing).
        var fault = TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        var faultStart = 1000.0;
        var faultEnd = faultStart + fault.TotalMilliseconds;
        var stopAt = faultEnd + 3000;
        var toggler = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(faultStart));
            proxy.Set(FaultMode.Blackhole);
            await Task.Delay(fault);
            proxy.Set(FaultMode.Pass);
        });
        var reads = Enumerable.Range(0, 200).Select(n => LoopAsync(clients[n % clients.Length], "/peek", clock, stopAt, TimeSpan.FromMilliseconds(40))).ToList();
        var health = LoopAsync(clients[0], "/health", clock, stopAt, TimeSpan.FromMilliseconds(20));
        await toggler;
        var all = (await Task.WhenAll(reads)).SelectMany(r => r).ToList();
        var healthRuns = await health;

        Assert.All(all, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{r.Status} at {r.StartMs:0} ms"));
        var failed = all.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).OrderBy(r => r.EndMs).ToList();
        Assert.NotEmpty(failed);
        var first = failed[0];
        var open = failed.Where(r => r.StartMs > first.EndMs + 50).ToList();
        var slow = open.Count(r => r.Ms > 50);
        var firstOk = all.Where(r => r.Status == HttpStatusCode.OK && r.StartMs >= faultEnd).Min(r => (double?)r.EndMs);
        var healthP99 = Percentile(healthRuns.Select(r => r.Ms), 0.99);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"requests {all.Count}, 503 {failed.Count}; first 503 after {first.EndMs - faultStart:0} ms ({first.Ms:0} ms long); " +
            $"503s once open {open.Count}: p50 {Percentile(open.Select(r => r.Ms), 0.5):0.0} ms, p99 {Percentile(open.Select(r => r.Ms), 0.99):0.0} ms, over 50 ms {slow}; " +
            $"/health n={healthRuns.Count} p99 {healthP99:0.0} ms max {healthRuns.Max(r => r.Ms):0.0} ms; first 200 after the fault ended: {firstOk - faultEnd:0} ms; circuit rejections {rejected.Total}"));

        var slowOnes = open.Where(r => r.Ms > 50).ToList();
        if (slowOnes.Count > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"slow 503s once open started {slowOnes.Min(r => r.StartMs) - faultStart:0}..{slowOnes.Max(r => r.StartMs) - faultStart:0} ms into the fault"));
        }

        Assert.InRange(first.Ms, 0, Bound.TotalMilliseconds + 600);
        Assert.NotEmpty(open);
        // Only the probes (one at a time, one per break) wait the bound; the rest are answered at once
        // (the few over 50 ms are the 2 cores busy with ~4,000 refusals a second, not waits on Redis).
        Assert.True(Percentile(open.Select(r => r.Ms), 0.99) < 50, "503s once the breaker is open come within 50 ms (p99)");
        Assert.True(slow <= open.Count / 100, $"{slow} of {open.Count} 503s took over 50 ms once the breaker was open");
        Assert.True(healthP99 < 50, $"/health p99 {healthP99:0.0} ms");
        Assert.All(healthRuns, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.True(rejected.Total > 0, "breaker refusals are counted in tessera.circuit.rejected");
        Assert.NotNull(firstOk);
        Assert.InRange(firstOk!.Value - faultEnd, 0, 1000);
        foreach (var (client, n) in clients.Select((c, n) => (c, n)))
        {
            Assert.Equal((HttpStatusCode.OK, $"u{n}"), await client.GetTextAsync("/peek"));
        }
    }

    [Fact]
    public async Task Latency50msEachWay_100ParallelCounterBumps_AreExact_AndAll200()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "lat:");
        var client = (await SignInAsync(app, 1))[0];
        proxy.Latency = TimeSpan.FromMilliseconds(50);

        var replies = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => client.GetTextAsync("/view")));

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(Enumerable.Range(1, 100), replies.Select(r => int.Parse(r.Body, CultureInfo.InvariantCulture)).Order());
        Assert.Equal((HttpStatusCode.OK, "101"), await client.GetTextAsync("/view"));
    }

    [Fact]
    public async Task RepliesSlowerThanTheBound_Only503s_ThenNoReplyEverReachesTheWrongRequest()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "slowr:", o =>
        {
            o.OperationTimeout = Bound;
            o.Preload = Tessera.AspNetCore.SessionPreload.Never;
        });
        var clients = await SignInAsync(app, 20);

        proxy.ReplyDelay = TimeSpan.FromMilliseconds(1500);
        var during = new List<(int User, HttpStatusCode Status, string Body)>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            var round = await Task.WhenAll(clients.Select(async (c, n) => { var r = await c.GetTextAsync("/peek"); return (n, r.Status, r.Body); }));
            during.AddRange(round);
        }

        proxy.ReplyDelay = TimeSpan.Zero;
        Assert.All(during, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status));
        // Replies already queued keep their delay (and their order): the link is normal once they are out.
        await Task.Delay(TimeSpan.FromMilliseconds(1600));
        Assert.True(
            await Eventually.WaitAsync(async () => (await Task.WhenAll(clients.Select(c => c.GetTextAsync("/peek")))).All(r => r.Status == HttpStatusCode.OK), TimeSpan.FromSeconds(5)),
            "service resumes");

        // Every late reply of the slow phase has arrived by now, or is still queued: none may be taken for a new request's.
        var after = new List<(int User, HttpStatusCode Status, string Body)>();
        for (var round = 0; round < 15; round++)
        {
            after.AddRange(await Task.WhenAll(clients.Select(async (c, n) => { var r = await c.GetTextAsync("/peek"); return (n, r.Status, r.Body); })));
        }

        // The synchronous load too (this app never reads ahead), one at a time: many at once block as many
        // pool threads (SynchronousReads_48AtOnce_... is that case, read ahead).
        foreach (var (client, n) in clients.Select((c, n) => (c, n)))
        {
            var r = await client.GetTextAsync("/get?k=username");
            after.Add((n, r.Status, r.Body));
        }

        output.WriteLine($"slow phase: {during.Count} requests, all 503; after: {after.Count} requests: {string.Join(", ", after.GroupBy(a => a.Status).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.All(after, r => Assert.Equal((HttpStatusCode.OK, $"u{r.User}"), (r.Status, r.Body)));
    }

    [Fact]
    public async Task EveryConnectionResetEvery300ms_20ConcurrentCounterBumps_Only200Or503_NoIncrementAppliedTwice()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "rst:", o => o.OperationTimeout = Bound);
        var client = (await SignInAsync(app, 1))[0];
        var id = client.Cookie("__Host-Tessera")!;

        proxy.ResetEvery(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => LoopAsync(client, "/view", clock, 6000, TimeSpan.FromMilliseconds(10))));
        proxy.StopResetting();
        var all = runs.SelectMany(r => r).ToList();

        var acknowledged = all.Count(r => r.Status == HttpStatusCode.OK);
        var refused = all.Count(r => r.Status == HttpStatusCode.ServiceUnavailable);
        var stored = long.Parse((string)RespClient.Command(redis.Port, "HGET", app.Store.KeyFor(id).ToString(), "page_views")!, CultureInfo.InvariantCulture);
        output.WriteLine($"requests {all.Count}: 200 {acknowledged}, 503 {refused}; counter {stored}; resets {proxy.Resets}, connections {proxy.Accepted}");
        Assert.All(all, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{r.Status}: {r.Body}"));
        Assert.True(proxy.Resets > 5, "connections were reset under the load");
        Assert.True(acknowledged > 0);
        // Each 200 saw its own increment; an increment that got a 503 may have run, none ran twice.
        var seen = all.Where(r => r.Status == HttpStatusCode.OK).Select(r => long.Parse(r.Body, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.InRange(stored, acknowledged, acknowledged + refused);
    }

    [Fact]
    public async Task RedisSigKilled_RestartedFromItsAof_EverySessionAndCounterAcknowledgedASecondBefore_IsThere()
    {
        var dir = Directory.CreateTempSubdirectory("tessera-aof-").FullName;
        string[] aof = ["--appendonly", "yes", "--appendfsync", "everysec"];
        var redis = RedisServerProcess.Start(extraArgs: aof, directory: dir);
        var port = redis.Port;
        try
        {
            await using var app = await TestApp.StartAsync(redis.Endpoint, "aof:", o => o.OperationTimeout = Bound);
            var clients = await SignInAsync(app, 30);
            var bumps = new int[clients.Length];
            foreach (var (client, n) in clients.Select((c, n) => (c, n)))
            {
                for (var k = 0; k <= n % 5; k++)
                {
                    Assert.Equal(HttpStatusCode.OK, (await client.GetTextAsync("/view")).Status);
                    bumps[n]++;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1200));
            var pid = redis.ProcessId;
            redis.Dispose(); // SIGKILL, by its PID
            output.WriteLine($"killed redis-server {pid}; restarting from {dir}");
            redis = RedisServerProcess.Start(port, aof, dir);

            Assert.True(await Eventually.WaitAsync(async () => (await clients[0].GetTextAsync("/peek")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10)), "service resumes after the restart");
            foreach (var (client, n) in clients.Select((c, n) => (c, n)))
            {
                Assert.Equal((HttpStatusCode.OK, $"u{n}"), await client.GetTextAsync("/peek"));
                Assert.Equal((HttpStatusCode.OK, (bumps[n] + 1).ToString(CultureInfo.InvariantCulture)), await client.GetTextAsync("/view"));
            }
        }
        finally
        {
            redis.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task RedisOutOfMemory_ReadsStillServed_Writes503_NoCircuitOpened_No500()
    {
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "oom:", o => o.OperationTimeout = Bound);
        using var opened = new CounterTotal(app.Store.Metrics.CircuitOpened);
        var clients = await SignInAsync(app, 5);
        Assert.Equal("OK", RespClient.Command(redis.Port, "CONFIG", "SET", "maxmemory-policy", "noeviction"));
        Assert.Equal("OK", RespClient.Command(redis.Port, "CONFIG", "SET", "maxmemory", "1"));

        var statuses = new List<(string Path, HttpStatusCode Status)>();
        for (var round = 0; round < 10; round++)
        {
            foreach (var (client, n) in clients.Select((c, n) => (c, n)))
            {
                Assert.Equal((HttpStatusCode.OK, $"u{n}"), await client.GetTextAsync("/peek"));
                statuses.Add(("/view", (await client.GetTextAsync("/view")).Status));
                statuses.Add(("/set", (await client.PostTextAsync("/set?k=a&v=b")).Status));
            }

            using var fresh = app.CreateClient();
            statuses.Add(("/login", (await fresh.PostTextAsync("/login?user=new")).Status));
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s.Status));
        Assert.Equal(0, opened.Total);
        Assert.Equal("OK", RespClient.Command(redis.Port, "CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal(HttpStatusCode.OK, (await clients[0].GetTextAsync("/view")).Status);
    }

    [Fact]
    public async Task SynchronousReads_48AtOnce_AfterTheEndpointsFirst_AreReadAhead_AndAllAnswerTheirOwnUser()
    {
        // ISession.GetString before any LoadAsync, as Razor Pages, MVC and the stock session's users do. Each
        // such read blocks a pool thread for its round trip; 32 at once on this 2-core box missed a 2 s bound
        // a quarter of the time (the pool grows slower than they block). After the endpoint's first
        // synchronous read, the middleware reads its sessions ahead, awaited: no thread blocks.
        using var redis = RedisServerProcess.Start();
        await using var app = await TestApp.StartAsync(redis.Endpoint, "sync48:", o => o.OperationTimeout = Bound);
        var clients = await SignInAsync(app, 48);
        using var synchronous = new CounterTotal(app.Store.Metrics.SynchronousLoads);
        Assert.Equal((HttpStatusCode.OK, "u0"), await clients[0].GetTextAsync("/get?k=username"));
        Assert.Equal(1, synchronous.Total);

        var replies = new List<(int User, HttpStatusCode Status, string Body, TimeSpan Elapsed)>();
        for (var round = 0; round < 3; round++)
        {
            replies.AddRange(await Task.WhenAll(clients.Select(async (c, n) =>
            {
                var s = Stopwatch.StartNew();
                var r = await c.GetTextAsync("/get?k=username");
                return (n, r.Status, r.Body, s.Elapsed);
            })));
        }

        output.WriteLine($"{replies.Count} reads: {string.Join(", ", replies.GroupBy(r => r.Status).Select(g => $"{g.Key} {g.Count()}"))}; p50 {Percentile(replies.Select(r => r.Elapsed.TotalMilliseconds), 0.5):0.0} ms, max {replies.Max(r => r.Elapsed.TotalMilliseconds):0} ms; synchronous loads {synchronous.Total}");
        Assert.All(replies, r => Assert.Equal((HttpStatusCode.OK, $"u{r.User}"), (r.Status, r.Body)));
        Assert.Equal(1, synchronous.Total);
    }

    [Fact]
    public async Task SynchronousLoad_OnAnAppMultiplexerWith5sSyncTimeout_BlocksNoLongerThanTheBound_AndTheBreakerCovers()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        var config = ConfigurationOptions.Parse(proxy.Endpoint);
        config.SyncTimeout = 5000;
        config.AsyncTimeout = 5000;
        config.AbortOnConnectFail = false;
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(config);
        await using var app = await TestApp.StartAsync(proxy.Endpoint, "sync:", o =>
        {
            o.Configuration = null;
            o.OperationTimeout = Bound;
            o.Preload = Tessera.AspNetCore.SessionPreload.Never;
        }, services: s => s.AddSingleton<IConnectionMultiplexer>(multiplexer));
        var clients = await SignInAsync(app, 4);
        Assert.Equal((HttpStatusCode.OK, "u0"), await clients[0].GetTextAsync("/get?k=username"));

        proxy.Set(FaultMode.Blackhole);
        var clock = Stopwatch.StartNew();
        var first = await Task.WhenAll(clients.Select(async c => { var s = Stopwatch.StartNew(); var r = await c.GetTextAsync("/get?k=username"); return (r.Status, s.Elapsed); }));
        var later = new List<(HttpStatusCode Status, TimeSpan Elapsed)>();
        for (var n = 0; n < 10; n++)
        {
            var s = Stopwatch.StartNew();
            var r = await clients[n % 4].GetTextAsync("/get?k=username");
            later.Add((r.Status, s.Elapsed));
        }

        proxy.Set(FaultMode.Pass);
        output.WriteLine($"sync loads while blackholed: first {string.Join(", ", first.Select(f => $"{f.Elapsed.TotalMilliseconds:0} ms"))}; later p50 {Percentile(later.Select(l => l.Elapsed.TotalMilliseconds), 0.5):0.0} ms, max {later.Max(l => l.Elapsed.TotalMilliseconds):0} ms");
        Assert.All(first, f => Assert.Equal(HttpStatusCode.ServiceUnavailable, f.Status));
        Assert.All(first, f => Assert.InRange(f.Elapsed, TimeSpan.Zero, Bound + TimeSpan.FromMilliseconds(600)));
        Assert.All(later, l => Assert.Equal(HttpStatusCode.ServiceUnavailable, l.Status));
        Assert.True(later.Count(l => l.Elapsed > TimeSpan.FromMilliseconds(50)) <= 3, "once open, the breaker answers the synchronous path at once too");
        Assert.True(await Eventually.WaitAsync(async () => (await clients[0].GetTextAsync("/get?k=username")) == (HttpStatusCode.OK, "u0"), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task HealthCheck_SlowRedisIsDegraded_DownRedisIsTheConfiguredFailureStatus()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var app = await TestApp.StartAsync(
            proxy.Endpoint,
            "hc:",
            o => o.OperationTimeout = Bound,
            map: a => a.MapHealthChecks("/live", new HealthCheckOptions { Predicate = r => r.Name == "live" }),
            services: s => s.AddHealthChecks().AddTessera(o =>
            {
                o.Name = "live";
                o.FailureStatus = HealthStatus.Degraded;
                o.DegradedLatency = TimeSpan.FromMilliseconds(100);
            }));
        using var client = app.CreateClient();
        Assert.True(await Eventually.WaitAsync(async () => (await client.GetTextAsync("/live")) == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(10)));

        proxy.Latency = TimeSpan.FromMilliseconds(100);
        Assert.Equal((HttpStatusCode.OK, "Degraded"), await client.GetTextAsync("/live"));

        proxy.Latency = TimeSpan.Zero;
        proxy.Set(FaultMode.Blackhole);
        var live = await client.GetTextAsync("/live");
        var ready = await client.GetTextAsync("/healthz");
        proxy.Set(FaultMode.Pass);
        // Liveness (failure status Degraded) stays 200 through the outage; readiness (Unhealthy) is 503.
        Assert.Equal((HttpStatusCode.OK, "Degraded"), live);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), ready);
        Assert.True(await Eventually.WaitAsync(async () => (await client.GetTextAsync("/live")) == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Blackhole_UnderCallsThatMeet_EveryWaitingLoadAndBumpEndsWithinTheBound_NoneAppliedTwice_AndTheyMeetAgainAfter()
    {
        using var redis = RedisServerProcess.Start();
        await using var proxy = new FaultProxy(redis.Endpoint);
        var options = Microsoft.Extensions.Options.Options.Create(new TesseraOptions { Configuration = proxy.Endpoint, KeyPrefix = "meet:", OperationTimeout = Bound });
        await using var connection = new TesseraConnection(options);
        var store = new RedisSessionStore(connection, options);
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("name", "x"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
        Assert.Equal(1, (await store.IncrementAsync(id, "n")).Value);

        // One load and one bump on their way into the partition, and 40 of each waiting behind them.
        proxy.Set(FaultMode.Blackhole);
        var bumps = Enumerable.Range(0, 41).Select(_ => Timed(() => store.IncrementAsync(id, "n"))).ToList();
        var loads = Enumerable.Range(0, 41).Select(_ => Timed(() => store.LoadAsync(id))).ToList();
        var bumped = await Task.WhenAll(bumps);
        var loaded = await Task.WhenAll(loads);
        output.WriteLine($"blackholed: bumps ended after {bumped.Min(b => b.Ms):0} to {bumped.Max(b => b.Ms):0} ms, loads {loaded.Min(l => l.Ms):0} to {loaded.Max(l => l.Ms):0} ms");

        // Each ended within the bound (plus the box's slack), unavailable: none hung behind the call on its way.
        Assert.All(bumped.Concat(loaded), r => Assert.InRange(r.Ms, 0, Bound.TotalMilliseconds + 600));
        Assert.All(bumped.Concat(loaded), r => Assert.IsType<TesseraUnavailableException>(r.Failure));

        // Healed (TCP delivers what the partition held): the calls meet again, answered right.
        proxy.Set(FaultMode.Pass);
        Assert.True(await Eventually.WaitAsync(async () => { try { return (await store.LoadAsync(id)).Status == LoadStatus.Found; } catch (TesseraUnavailableException) { return false; } }, TimeSpan.FromSeconds(10)));
        // What the partition held reaches Redis once it heals: wait until the counter stops moving.
        using var direct = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        long stored = 0;
        Assert.True(await Eventually.WaitAsync(async () =>
        {
            var before = (long)await direct.GetDatabase().HashGetAsync(store.KeyFor(id), "n");
            await Task.Delay(300);
            stored = (long)await direct.GetDatabase().HashGetAsync(store.KeyFor(id), "n");
            return stored == before;
        }, TimeSpan.FromSeconds(10)));

        // A bump that timed out may have been applied (its caller was told the outcome is unknown), never twice:
        // at most the one before the partition and all 41.
        Assert.InRange(stored, 1, 42);
        var after = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => store.IncrementAsync(id, "n")));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => stored + i), after.Select(a => a.Value).Order());
        var reads = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => store.LoadAsync(id)));
        Assert.All(reads, r => Assert.Equal(LoadStatus.Found, r.Status));
    }

    private static async Task<(double Ms, Exception? Failure)> Timed<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.StartNew();
        try
        {
            await call();
            return (started.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception ex)
        {
            return (started.Elapsed.TotalMilliseconds, ex);
        }
    }

    private static async Task<CookieClient[]> SignInAsync(TestApp app, int count)
    {
        var clients = Enumerable.Range(0, count).Select(_ => app.CreateClient()).ToArray();
        foreach (var (client, n) in clients.Select((c, n) => (c, n)))
        {
            var ready = await Eventually.WaitAsync(
                async () => (await client.PostTextAsync($"/login?user=u{n}")).Status == HttpStatusCode.OK
                    && (await client.GetTextAsync("/peek")) == (HttpStatusCode.OK, $"u{n}"),
                TimeSpan.FromSeconds(20));
            Assert.True(ready, "the app should serve sessions before the fault");
        }

        return clients;
    }

    /// <summary>Sends <paramref name="path"/> in a loop until <paramref name="stopAtMs"/> (bounded: at most 2,000 requests).</summary>
    private static async Task<List<TimedResponse>> LoopAsync(CookieClient client, string path, Stopwatch clock, double stopAtMs, TimeSpan pause)
    {
        var results = new List<TimedResponse>();
        while (clock.Elapsed.TotalMilliseconds < stopAtMs && results.Count < 2000)
        {
            var start = clock.Elapsed.TotalMilliseconds;
            var (status, body) = await client.GetTextAsync(path);
            results.Add(new TimedResponse(start, clock.Elapsed.TotalMilliseconds, status, body));
            await Task.Delay(pause);
        }

        return results;
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
