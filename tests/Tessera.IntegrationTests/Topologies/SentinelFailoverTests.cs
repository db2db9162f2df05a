using System.Globalization;
using System.Net;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// A Sentinel failover under bounded HTTP load, on a topology of its own (the shared one keeps its
/// master): the master process is killed by its PID while requests run. In the Timing category (run
/// alone): its bounds are times, and while its sentinels live they would turn a server another test
/// starts on the killed master's freed port into a replica.
/// </summary>
[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Name)]
public sealed class SentinelFailoverTests
{
    private const int Sessions = 40;

    [Fact]
    public async Task MasterKilled_UnderLoad_SessionsSurvive_RequestsGet503OrSucceed_AndServiceResumes()
    {
        using var topology = RedisSentinelTopology.Start("tessera-failover", downAfter: TimeSpan.FromSeconds(1));
        await using var app = await TestApp.StartAsync(topology.Configuration, "fo:", o => o.OperationTimeout = TimeSpan.FromSeconds(1));
        var clients = new List<CookieClient>();
        try
        {
            // Sessions written before the failover, and on the replica.
            for (var i = 0; i < Sessions; i++)
            {
                var client = app.CreateClient();
                clients.Add(client);
                // Retried while the app connects: with a 1 s bound, a first request on a fresh connection
                // can miss it while the whole suite loads both cores; the failover is what is tested.
                var user = $"u{i}";
                Assert.True(
                    await Eventually.WaitAsync(async () => await client.PostTextAsync($"/login?user={user}") == (HttpStatusCode.OK, "logged in"), TimeSpan.FromSeconds(20)),
                    "the app should log users in while the master is up");
            }

            topology.WaitForReplication(TimeSpan.FromSeconds(10));

            // Reads and atomic writes, 4 workers, at most one request per 20 ms each, each bounded by 5 s.
            await using var load = BoundedLoad.Start(
                clients,
                (client, n) => n % 2 == 0 ? (HttpMethod.Get, "/peek") : (HttpMethod.Get, "/view"),
                workers: 4,
                pace: TimeSpan.FromMilliseconds(20),
                requestTimeout: TimeSpan.FromSeconds(5),
                maxRequests: 20_000,
                maxDuration: TimeSpan.FromSeconds(60));
            Assert.True(await load.WaitUntilAsync(o => o.Count(x => x.Status == 200) >= 100, TimeSpan.FromSeconds(20)), "the load should run before the failover");

            var oldMaster = topology.InitialMaster.Port;
            var killedAt = load.Elapsed;
            topology.InitialMaster.Dispose();
            var promoted = await Task.Run(() => topology.WaitForFailover(oldMaster, TimeSpan.FromSeconds(30)));
            var promotedAt = load.Elapsed;

            // Service resumes by itself: requests sent after the promotion succeed again.
            var resumed = await load.WaitUntilAsync(o => o.Count(x => x.Start > promotedAt && x.Status == 200) >= 200, TimeSpan.FromSeconds(30));
            var outcomes = await load.StopAsync();
            var report = Describe(outcomes, killedAt, promotedAt);
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            Assert.True(resumed, "service should resume after the promotion\n" + report);

            // Never a 500, never a hang, never a lost session: every request got 200 or 503.
            var bad = outcomes.Where(o => o.Status is not (200 or 503)).Take(10).ToList();
            Assert.True(bad.Count == 0, "requests that neither succeeded nor got 503:\n" + string.Join("\n", bad) + "\n" + report);

            // Recovery is bounded: no request fails more than 15 s after the kill.
            Assert.All(outcomes.Where(o => o.Status != 200), o => Assert.InRange(o.Start - killedAt, TimeSpan.Zero, TimeSpan.FromSeconds(15)));

            // Every session written before the failover is still there, on the promoted replica.
            for (var i = 0; i < Sessions; i++)
            {
                Assert.Equal((HttpStatusCode.OK, $"u{i}"), await clients[i].GetTextAsync("/peek"));
            }

            Assert.Equal(promoted.Port, topology.MasterPortFromSentinel());
            Assert.True(await Eventually.WaitAsync(async () => (await clients[0].GetTextAsync("/healthz")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10)));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    // The figures docs/operations.md quotes: the window users saw, and what the kill cost.
    private static string Describe(IReadOnlyList<LoadOutcome> outcomes, TimeSpan killedAt, TimeSpan promotedAt)
    {
        // Acknowledged increments the failover lost: the first count a session shows after the
        // promotion against the highest one it acknowledged before the kill.
        var lost = 0L;
        foreach (var perClient in outcomes.Where(o => o.Path == "/view" && o.Status == 200).GroupBy(o => o.Client))
        {
            var before = perClient.Where(o => o.End <= killedAt).Select(o => long.Parse(o.Body, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            var after = perClient.Where(o => o.Start >= promotedAt).Select(o => long.Parse(o.Body, CultureInfo.InvariantCulture)).FirstOrDefault();
            if (after > 0 && after <= before)
            {
                lost += before - after + 1;
            }
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"requests {outcomes.Count}: {outcomes.Count(o => o.Status == 200)} x 200, {outcomes.Count(o => o.Status == 503)} x 503, {outcomes.Count(o => o.Status is not (200 or 503))} other; " +
            $"master killed at {killedAt.TotalMilliseconds:0} ms, the sentinels agreed on the new master {(promotedAt - killedAt).TotalMilliseconds:0} ms later; " +
            $"reads (/peek): {Window(outcomes, "/peek", killedAt)}; writes (/view): {Window(outcomes, "/view", killedAt)}; " +
            $"slowest request {outcomes.Max(o => o.Duration).TotalMilliseconds:0} ms; acknowledged increments lost: {lost}.");
    }

    /// <summary>Unavailability window of one kind of request: first failure to the first success after the last failure.</summary>
    internal static string Window(IReadOnlyList<LoadOutcome> outcomes, string path, TimeSpan since)
    {
        var mine = outcomes.Where(o => o.Path == path).ToList();
        var failures = mine.Where(o => o.Status != 200).ToList();
        if (failures.Count == 0)
        {
            return "no failures";
        }

        var last = failures.Max(o => o.Start);
        var back = mine.Where(o => o.Status == 200 && o.Start > last).Select(o => (TimeSpan?)o.End).Min();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{failures.Count} failures from {(failures[0].Start - since).TotalMilliseconds:0} ms after the kill, " +
            $"unavailability window {(back is null ? "unbounded" : $"{(back.Value - failures[0].Start).TotalMilliseconds:0} ms")} " +
            $"(kill to recovery {(back is null ? "never" : $"{(back.Value - since).TotalMilliseconds:0} ms")})");
    }
}
