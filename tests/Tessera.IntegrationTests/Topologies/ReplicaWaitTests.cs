using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// Revocations that survive a failover (issue 26 item 5): every revocation waits for a replica (<c>WAIT</c>,
/// on a connection of its own) when the primary has one; a lagging replica is reported, never waited on
/// past the bound. On Sentinel topologies of their own: the master is killed by its PID right after a
/// revocation returns, Sentinel promotes the replica, and the revoked sessions must never serve again.
/// Rounds: <c>TESSERA_FAILOVER_ROUNDS</c> (default 2 in the suite; the figures in docs/operations.md are
/// from a run of 100). In the Timing category: failover times are not for a loaded box.
/// </summary>
[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Name)]
public sealed class ReplicaWaitTests(ITestOutputHelper output)
{
    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("TESSERA_FAILOVER_ROUNDS"), CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 2;

    [Fact]
    public async Task RevokedThenPrimaryKilledAtOnce_TheRevokedSessionsNeverServeAgain_RoundAfterRound()
    {
        using var topology = RedisSentinelTopology.Start("tessera-revoke", downAfter: TimeSpan.FromSeconds(1));
        var (connection, store) = Store(topology.Configuration);
        await using var owned = connection;
        var multiplexer = await connection.GetMultiplexerAsync();
        multiplexer.ConnectionFailed += (_, e) => Note($"connection failed: {e.EndPoint} {e.ConnectionType} {e.FailureType}");
        multiplexer.ConnectionRestored += (_, e) => Note($"connection restored: {e.EndPoint} {e.ConnectionType}");
        multiplexer.ConfigurationChanged += (_, e) => Note($"configuration changed: {e.EndPoint}");

        // A second instance reads through the near cache: what it holds must not outlive the revocation nor the failover.
        var (readerConnection, reader) = Store(topology.Configuration, nearCache: true);
        await using var ownedReader = readerConnection;
        var master = topology.InitialMaster;
        var clock = Stopwatch.StartNew();
        var failovers = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            var user = $"u{round}";
            var loggedOut = await CreateAsync(store, user);
            var everywhere1 = await CreateAsync(store, user);
            var everywhere2 = await CreateAsync(store, user);
            var kept = await CreateAsync(store, $"other{round}");

            // The sign-ins are on the replica (the same wait confirms any write before it; after a failover
            // the new replica may still be joining).
            Assert.True(
                await Eventually.WaitAsync(async () => await store.ConfirmRevokedAsync([.. new[] { loggedOut, everywhere1, everywhere2, kept }.Select(SessionIds.Handle)]) == ReplicaConfirmation.Confirmed, TimeSpan.FromSeconds(30)),
                $"round {round}: the sign-ins are confirmed on a replica");

            // The other instance holds all four in its near cache.
            Assert.True(await reader.NearCache.StartAsync(TimeSpan.FromSeconds(30)), $"round {round}: the near cache is active ({reader.NearCache.State})");
            foreach (var id in new[] { loggedOut, everywhere1, everywhere2, kept, loggedOut, everywhere1, everywhere2, kept })
            {
                Assert.Equal(LoadStatus.Found, await StatusAsync(reader, id));
            }

            Assert.True(reader.NearCache.Count >= 4, $"round {round}: the near cache holds the sessions ({reader.NearCache.Count})");

            // A logout and a "log out everywhere", each waiting for the replica before it returns...
            Assert.True(await store.DestroyAsync(loggedOut, user));
            Assert.Equal(2, await store.Users.RevokeUserSessionsAsync(user));

            // ...then the primary dies at once.
            var killed = Stopwatch.StartNew();
            var oldPort = master.Port;
            master.Dispose();
            var promoted = await Task.Run(() => topology.WaitForFailover(oldPort, TimeSpan.FromSeconds(60)));
            failovers.Add(killed.Elapsed.TotalMilliseconds);
            Note($"round {round}: {promoted.Port} promoted");

            // The store follows the promotion; the revoked sessions are gone there, the other one is not.
            Assert.True(
                await Eventually.WaitAsync(async () => await StatusAsync(store, kept) == LoadStatus.Found, TimeSpan.FromSeconds(30)),
                $"round {round}: the kept session is read again after the promotion");
            Note($"round {round}: the kept session is read again");
            foreach (var revoked in new[] { loggedOut, everywhere1, everywhere2 })
            {
                Assert.Equal(LoadStatus.NotFound, await AnswerAsync(store, revoked));
            }

            // The near cache's instance too: its connection died with the primary, and it registers with the new one.
            Assert.True(
                await Eventually.WaitAsync(async () => await StatusAsync(reader, kept) == LoadStatus.Found, TimeSpan.FromSeconds(30)),
                $"round {round}: the reader reads the kept session after the promotion");
            foreach (var revoked in new[] { loggedOut, everywhere1, everywhere2 })
            {
                Assert.Equal(LoadStatus.NotFound, await AnswerAsync(reader, revoked));
            }

            Assert.Empty(await store.Users.GetUserSessionsAsync(user));
            master = promoted;
            topology.AddReplica(master.Port);
        }

        failovers.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Rounds} rounds in {clock.Elapsed.TotalSeconds:F0} s: revoke, kill the primary, promotion; kill to promotion median {failovers[failovers.Count / 2]:F0} ms, max {failovers[^1]:F0} ms; no revoked session served again"));
    }

    [Fact]
    public async Task LaggingReplica_TheRevocationIsDoneAndReportedUnconfirmed_WithinTheBound_ThenConfirmed()
    {
        using var topology = RedisSentinelTopology.Start("tessera-lag");
        var (connection, store) = Store(topology.Configuration);
        await using var owned = connection;
        var id = await CreateAsync(store, "lag");
        var handle = SessionIds.Handle(id);

        // The baseline: the replica has it (right after start-up the first wait can miss; see the stop-26 note).
        Assert.True(await Eventually.WaitAsync(async () => await store.ConfirmRevokedAsync([handle]) == ReplicaConfirmation.Confirmed, TimeSpan.FromSeconds(10)));

        Signal(topology.InitialReplica.ProcessId, "-STOP");
        try
        {
            var took = Stopwatch.StartNew();
            Assert.True(await store.DestroyAsync(id, "lag"));
            var destroyedIn = took.Elapsed;
            Assert.Equal(ReplicaConfirmation.Unconfirmed, await store.ConfirmRevokedAsync([handle]));

            // Done on the primary, and the wait was bounded (ReplicaWait 500 ms), not the replica's outage.
            Assert.Equal(LoadStatus.NotFound, await StatusAsync(store, id));
            Assert.InRange(destroyedIn, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(2));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"logout with the replica stopped: {destroyedIn.TotalMilliseconds:F0} ms"));
        }
        finally
        {
            Signal(topology.InitialReplica.ProcessId, "-CONT");
        }

        Assert.True(await Eventually.WaitAsync(async () => await store.ConfirmRevokedAsync([handle]) == ReplicaConfirmation.Confirmed, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task StandaloneServer_HasNoReplicaToWaitFor_AndOpensNoSecondConnection()
    {
        using var redis = RedisServerProcess.Start();
        var name = "solo-" + Guid.NewGuid().ToString("N")[..8];
        var (connection, store) = Store($"{redis.Endpoint},name={name}");
        await using var owned = connection;
        var id = await CreateAsync(store, "solo");
        var took = Stopwatch.StartNew();
        Assert.True(await store.DestroyAsync(id, "solo"));
        Assert.Equal(ReplicaConfirmation.NoReplicas, await store.ConfirmRevokedAsync([SessionIds.Handle(id)]));
        var clients = (string)RespClient.Command(redis.Port, "CLIENT", "LIST")!;
        Assert.DoesNotContain($"name={name}-wait", clients, StringComparison.Ordinal);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"standalone logout: {took.Elapsed.TotalMilliseconds:F1} ms"));
    }

    private static (TesseraConnection Connection, RedisSessionStore Store) Store(string configuration, bool nearCache = false)
    {
        var options = Options.Create(new TesseraOptions { Configuration = configuration, KeyPrefix = "rw:", OperationTimeout = TimeSpan.FromSeconds(2), NearCache = { Enabled = nearCache } });
        var connection = new TesseraConnection(options);
        return (connection, new RedisSessionStore(connection, options));
    }

    private static async Task<string> CreateAsync(RedisSessionStore store, string user)
    {
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("k", [1]);
        Assert.True(
            await Eventually.WaitAsync(
                async () =>
                {
                    try
                    {
                        return (await store.CreateAsync(id, changes, new SessionWrite { UserId = user })).Status == CommitStatus.Committed;
                    }
                    catch (TesseraUnavailableException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(30)),
            "the store writes again");
        return id;
    }

    /// <summary>
    /// The first answer a load gives that is not "unavailable" (within 30 s). Right after a promotion the client can
    /// still be moving its connections to the new primary, so a load just after one that succeeded may be refused
    /// as unavailable (a 503; seen once in CI, on the first revoked session's load right after the kept session was
    /// read, and once in 34 local rounds). The client's own events show why: in 37 of 40 rounds it reported a configuration
    /// change 89 to 1,959 ms after the first successful read after the promotion, its connections still moving. That serves nothing; what
    /// must never happen is a revoked session found, so the first answer that is one is what the test judges, and what
    /// failed meanwhile, with the client's connection events, goes to the output.
    /// </summary>
    private async Task<LoadStatus> AnswerAsync(RedisSessionStore store, string id)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await StatusAsync(store, id) is { } status)
            {
                return status;
            }

            Note("a revoked session's load was unavailable after the promotion");

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the store answers again within 30 s of the promotion");
            await Task.Delay(50);
        }
    }

    /// <summary>A line of the test's output with the time: what the client saw and what the store answered, around each promotion.</summary>
    private void Note(string what)
    {
        try
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {what}"));
        }
        catch (InvalidOperationException)
        {
            // The client's events can come after the test ended.
        }
    }

    /// <summary>The load's status, or null when the store was unavailable (what failed goes to the test's output).</summary>
    private async Task<LoadStatus?> StatusAsync(RedisSessionStore store, string id)
    {
        try
        {
            return (await store.LoadAsync(id)).Status;
        }
        catch (TesseraUnavailableException ex)
        {
            Note($"unavailable: {ex.Message} <- {ex.InnerException?.GetType().Name}: {ex.InnerException?.Message}");
            return null;
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
