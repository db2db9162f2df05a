using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;
using Tessera.TestUtils;
using static Tessera.IntegrationTests.TestChanges;

namespace Tessera.IntegrationTests;

/// <summary>
/// What a session costs in Redis memory, measured on a redis-server of its own (so used_memory moves
/// only with these sessions): MEMORY USAGE of one key, and used_memory growth per session over a
/// batch, which adds the keyspace and expiry dictionary entries. docs/operations.md quotes these
/// figures for sizing; the bounds here catch a layout change that would double them.
/// </summary>
public sealed class SessionFootprintTests
{
    private const int Batch = 2000;

    [Fact]
    public async Task SessionMemory_IsMeasured_AndStaysWithinTheSizingBounds()
    {
        using var redis = RedisServerProcess.Start();
        var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        await using var _ = connection;
        var options = Microsoft.Extensions.Options.Options.Create(new TesseraOptions { KeyPrefix = "session:" });
        var store = new RedisSessionStore(new TesseraConnection(connection, options), options);
        var report = new StringBuilder();

        var kinds = new (string Name, Func<int, SessionChanges> Values, long MaxKeyBytes)[]
        {
            ("2 small fields (user name, counter)", i => Changes(("username", $"user{i:D6}"), ("page_views", "12")), 400),
            ("10 fields of ~20 bytes", i => Changes([.. Enumerable.Range(0, 10).Select(f => ($"field{f}", $"value-{f}-{i:D8}"))]), 800),
            ("one 4 KB value", i => Changes(("blob", new string('x', 4096))), 6000),
        };
        foreach (var (name, values, maxKeyBytes) in kinds)
        {
            // Two equal batches, measured between the first and the second, so connection buffers
            // and the server's fixed costs cancel out; 16 creates in flight at most.
            RespClient.Command(redis.Port, "FLUSHALL", "SYNC");
            var ids = Enumerable.Range(0, 2 * Batch).Select(_ => SessionIds.NewId()).ToList();
            await CreateAsync(store, ids[..Batch], values);
            var before = UsedMemory(redis);
            await CreateAsync(store, ids[Batch..], values);
            var perSession = (UsedMemory(redis) - before) / (double)Batch;
            var usage = ids.Take(50).Select(id => (long)RespClient.Command(redis.Port, "MEMORY", "USAGE", "session:" + SessionIds.Handle(id), "SAMPLES", "0")!).ToList();
            var encoding = RespClient.Command(redis.Port, "OBJECT", "ENCODING", "session:" + SessionIds.Handle(ids[0]));
            report.Append(CultureInfo.InvariantCulture, $"{name}: MEMORY USAGE {usage.Average():0} B ({encoding}), used_memory {perSession:0} B per session, {(1L << 30) / perSession:0} sessions per GiB\n");
            Assert.InRange(usage.Average(), 1, maxKeyBytes);
            Assert.InRange(perSession, 1, maxKeyBytes * 2);
        }

        // Signed in through the app: the session plus its entry in the user index (one user each).
        RespClient.Command(redis.Port, "FLUSHALL", "SYNC");
        await using (var app = await TestApp.StartAsync(redis.Endpoint, "session:"))
        {
            const int SignIns = 1000;
            async Task SignInAsync(int from) => await Parallel.ForAsync(from, from + SignIns, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                using var client = app.CreateClient();
                Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync($"/signin?user=user{i:D6}")).Status);
            });
            await SignInAsync(0);
            var before = UsedMemory(redis);
            await SignInAsync(SignIns);
            var perSignIn = (UsedMemory(redis) - before) / (double)SignIns;
            var index = (long)RespClient.Command(redis.Port, "MEMORY", "USAGE", "session:user:user000001", "SAMPLES", "0")!;
            report.Append(CultureInfo.InvariantCulture, $"signed in via /signin (username + user index entry): used_memory {perSignIn:0} B per session (index key of one member {index} B), {(1L << 30) / perSignIn:0} sessions per GiB\n");
            Assert.InRange(perSignIn, 1, 1000);
        }

        // The same, signed in with a sign-in method and a device name (#m "passkey", #n "Work laptop"), with
        // new-device detection on (one more key per user: its known devices, one member each here).
        RespClient.Command(redis.Port, "FLUSHALL", "SYNC");
        await using (var app = await TestApp.StartAsync(redis.Endpoint, "session:", o => o.NewDevices.Enabled = true, map: a =>
            a.MapPost("/signin-named", async (HttpContext ctx, string user) =>
            {
                var s = ctx.Session.AsTessera();
                await s.SignInWithAsync(user, "passkey");
                s.SetString("username", user);
                await s.CommitAsync();
                await s.NameDeviceAsync(SessionIds.Handle(s.Id), "Work laptop");
                return Results.Text("ok");
            })))
        {
            const int SignIns = 1000;
            async Task SignInAsync(int from) => await Parallel.ForAsync(from, from + SignIns, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                using var client = app.CreateClient();
                Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync($"/signin-named?user=user{i:D6}")).Status);
            });
            await SignInAsync(0);
            var before = UsedMemory(redis);
            await SignInAsync(SignIns);
            var perSignIn = (UsedMemory(redis) - before) / (double)SignIns;
            var known = (long)RespClient.Command(redis.Port, "MEMORY", "USAGE", "session:known:user000001", "SAMPLES", "0")!;
            report.Append(CultureInfo.InvariantCulture, $"signed in with a method and a device name, new-device detection on: used_memory {perSignIn:0} B per session (known-devices key of one member {known} B)\n");
            Assert.InRange(perSignIn, 1, 1300);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
    }

    private static async Task CreateAsync(RedisSessionStore store, List<string> ids, Func<int, SessionChanges> values) =>
        await Parallel.ForAsync(0, ids.Count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(ids[i], values(i), new SessionWrite { UserId = $"user{i:D6}" }, ct)).Status));

    private static long UsedMemory(RedisServerProcess redis) =>
        long.Parse(RespClient.InfoField(RespClient.Command(redis.Port, "INFO", "memory"), "used_memory")!, CultureInfo.InvariantCulture);
}
