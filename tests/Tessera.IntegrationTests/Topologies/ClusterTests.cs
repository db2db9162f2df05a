using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>What only a cluster can show: sessions spread over the masters, one slot per command, and resharding under load.</summary>
public sealed class ClusterTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Sessions_SpreadOverEveryMaster()
    {
        var store = cluster.CreateStore();
        var ids = Enumerable.Range(0, 300).Select(_ => SessionIds.NewId()).ToList();
        var changes = new SessionChanges();
        changes.Set("name", "ada"u8.ToArray());
        changes.Set("lang", "fr"u8.ToArray());
        var results = await Task.WhenAll(ids.Select(id => store.CreateAsync(id, changes)));
        Assert.All(results, r => Assert.Equal(CommitStatus.Committed, r.Status));

        // SCAN each master for this test's keys.
        var masters = cluster.Topology.Describe().Where(n => n.IsMaster).Select(n => cluster.Multiplexer.GetServer("127.0.0.1", n.Port)).ToList();
        Assert.Equal(3, masters.Count);
        var perMaster = new List<int>();
        foreach (var master in masters)
        {
            var count = 0;
            await foreach (var _ in master.KeysAsync(pattern: store.Options.KeyPrefix + "*", pageSize: 500))
            {
                count++;
            }

            perMaster.Add(count);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"300 sessions per master: {string.Join(", ", perMaster)}");
        Assert.Equal(300, perMaster.Sum());
        // 300 random ids over three thirds of the slots: about 100 each (a standard deviation of 8).
        Assert.All(perMaster, n => Assert.InRange(n, 50, 150));
        Assert.All(await Task.WhenAll(ids.Take(30).Select(id => store.LoadAsync(id))), r => Assert.Equal(LoadStatus.Found, r.Status));
    }

    [Fact]
    public async Task EveryCommand_OfASessionsLife_TouchesOneSlot()
    {
        var prefix = cluster.PrefixFor("one-slot");
        await using var app = await TestApp.StartAsync(cluster.Endpoint, prefix);
        using var phone = app.CreateClient();
        using var laptop = app.CreateClient();
        var masters = cluster.Topology.Describe().Where(n => n.IsMaster).Select(n => n.Port).ToList();

        // A session's whole life: creation, reads, writes, atomic ops, rotation on sign-in, the
        // user index (devices, log out the others), rotation on demand, logout.
        var recorded = await MonitorRecorder.RecordAsync(masters, async () =>
        {
            Assert.Equal(HttpStatusCode.OK, (await phone.PostTextAsync("/set?k=theme&v=dark")).Status);
            Assert.Equal(HttpStatusCode.OK, (await phone.PostTextAsync("/signin?user=ada")).Status);
            Assert.Equal((HttpStatusCode.OK, "ada"), await phone.GetTextAsync("/peek"));
            Assert.Equal((HttpStatusCode.OK, "1"), await phone.GetTextAsync("/view"));
            Assert.Equal((HttpStatusCode.OK, "1"), await phone.PostTextAsync("/incr?k=n"));
            Assert.Equal(HttpStatusCode.OK, (await phone.PostTextAsync("/remove?k=theme")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/signin?user=ada")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.GetTextAsync("/devices")).Status);
            Assert.Equal(HttpStatusCode.OK, (await phone.PostTextAsync("/rotate")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/logout-others")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/peek")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/logout")).Status);
        });

        var slots = new HashSet<int>();
        var checkedCommands = 0;
        foreach (var (port, commands) in recorded)
        {
            IReadOnlyList<string> scriptKeys = [];
            foreach (var command in commands)
            {
                var keys = command.IsScript ? command.DeclaredKeys : command.Args.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (command.IsScript)
                {
                    scriptKeys = keys;
                }
                else if (!command.FromScript)
                {
                    scriptKeys = [];
                }

                if (!keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    continue;
                }

                checkedCommands++;
                var commandSlots = keys.Select(k => cluster.Multiplexer.HashSlot(k)).Distinct().ToList();
                Assert.True(commandSlots.Count == 1, $"{command} on {port} touches slots {string.Join(",", commandSlots)}");
                slots.Add(commandSlots[0]);
                if (command.IsScript)
                {
                    Assert.True(keys.Count == 1, $"{command} on {port} declares {keys.Count} keys");
                }

                if (command.FromScript)
                {
                    // Inside a script: only the key the script declared.
                    Assert.True(keys.All(scriptKeys.Contains), $"{command} on {port} touches a key its script did not declare ({string.Join(",", scriptKeys)})");
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{checkedCommands} commands checked over {slots.Count} slots");
        // The scenario used several sessions and a user index: several slots, most likely on several masters.
        Assert.True(checkedCommands >= 20, $"only {checkedCommands} commands seen");
        Assert.True(slots.Count >= 3, $"only {slots.Count} slots seen");
    }

    [Fact]
    public async Task SlotMigration_UnderLoad_NoRequestFails_AndEverySessionStaysReadable()
    {
        const int Sessions = 16;
        var prefix = cluster.PrefixFor("migrate");
        // A generous operation timeout: this test is about redirections, not about a busy CI machine.
        await using var app = await TestApp.StartAsync(cluster.Endpoint, prefix, o => o.OperationTimeout = TimeSpan.FromSeconds(5));

        // Sessions that share one slot, so the slot is half moved for a while.
        var ids = new List<string> { SessionIds.NewId() };
        var slot = cluster.Multiplexer.HashSlot(app.Store.KeyFor(ids[0]));
        while (ids.Count < Sessions)
        {
            var id = SessionIds.NewId();
            if (cluster.Multiplexer.HashSlot(app.Store.KeyFor(id)) == slot)
            {
                ids.Add(id);
            }
        }

        var clients = new List<CookieClient>();
        try
        {
            for (var i = 0; i < Sessions; i++)
            {
                var changes = new SessionChanges();
                changes.Set("username", Encoding.UTF8.GetBytes($"u{i}"));
                Assert.Equal(CommitStatus.Committed, (await app.Store.CreateAsync(ids[i], changes)).Status);
                var client = app.CreateClient();
                client.SetCookie("__Host-Tessera", ids[i]);
                clients.Add(client);
            }

            var source = cluster.Topology.OwnerOf(slot);
            var target = cluster.Topology.Describe().First(n => n.IsMaster && n.Id != source.Id);
            await using var load = BoundedLoad.Start(
                clients,
                (client, n) => n % 2 == 0 ? (HttpMethod.Get, "/peek") : (HttpMethod.Get, "/view"),
                workers: 4,
                pace: TimeSpan.FromMilliseconds(10),
                requestTimeout: TimeSpan.FromSeconds(10),
                maxRequests: 20_000,
                maxDuration: TimeSpan.FromSeconds(60));
            Assert.True(await load.WaitUntilAsync(o => o.Count >= 50, TimeSpan.FromSeconds(20)), "the load should run before the migration");

            // One key per MIGRATE, and some requests between two: requests meet a split slot (ASK), then MOVED.
            var migrationStart = load.Elapsed;
            var moved = await Task.Run(() => cluster.Topology.MigrateSlot(slot, target, keysPerBatch: 1, betweenBatches: () =>
            {
                var seen = load.Outcomes.Count;
                Poll.Until(() => load.Outcomes.Count >= seen + 8, TimeSpan.FromSeconds(10), "the load makes progress");
            }));
            var migrationEnd = load.Elapsed;
            Assert.True(await load.WaitUntilAsync(o => o.Count(x => x.Start > migrationEnd) >= 100, TimeSpan.FromSeconds(20)), "the load should run after the migration");
            var outcomes = await load.StopAsync();

            var during = outcomes.Where(o => o.Start >= migrationStart && o.Start <= migrationEnd).ToList();
            var report = string.Create(
                CultureInfo.InvariantCulture,
                $"slot {slot} ({moved} keys) from {source.Port} to {target.Port} in {(migrationEnd - migrationStart).TotalMilliseconds:0} ms; " +
                $"{outcomes.Count} requests ({during.Count} while the slot moved): {outcomes.Count(o => o.Status == 200)} x 200, " +
                $"{outcomes.Count(o => o.Status == 503)} x 503, {outcomes.Count(o => o.Status is not (200 or 503))} other; slowest {outcomes.Max(o => o.Duration).TotalMilliseconds:0} ms");
            TestContext.Current.TestOutputHelper?.WriteLine(report);
            Assert.True(moved >= Sessions, report);
            Assert.True(during.Count >= Sessions * 8, "requests should run while the slot moves\n" + report);

            // StackExchange.Redis follows ASK and MOVED: every request succeeded, none got a 500, none hung.
            var failed = outcomes.Where(o => o.Status != 200).Take(10).ToList();
            Assert.True(failed.Count == 0, "failed requests:\n" + string.Join("\n", failed) + "\n" + report);

            // Every session is readable on its new master, and no increment was lost or applied twice.
            Assert.Equal(target.Id, cluster.Topology.OwnerOf(slot).Id);
            Assert.Equal((long)moved, RespClient.Command(target.Port, "CLUSTER", "COUNTKEYSINSLOT", slot.ToString(CultureInfo.InvariantCulture)));
            for (var i = 0; i < Sessions; i++)
            {
                Assert.Equal((HttpStatusCode.OK, $"u{i}"), await clients[i].GetTextAsync("/peek"));
                var views = outcomes.Count(o => o.Client == i && o.Path == "/view");
                Assert.Equal((HttpStatusCode.OK, (views + 1).ToString(CultureInfo.InvariantCulture)), await clients[i].GetTextAsync("/view"));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
