namespace Tessera.Cli.Tests;

public sealed class RevokeAllCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task RevokeAll_Everyone_WithYes_EndsEverySessionAndLoginOfEveryUser_AndNewOnesWork()
    {
        var prefix = redis.PrefixFor("everyone");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice");
        var bob = await TestSessions.CreateAsync(store, "bob");
        var anonymous = await TestSessions.CreateAsync(store);

        var result = await CliRun.RunAsync(["revoke-all", "--everyone", "--yes", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Revoked every session and login created at or before", result.Out, StringComparison.Ordinal);
        Assert.Contains("tessera cleanup --apply --delete", result.Out, StringComparison.Ordinal);
        foreach (var id in new[] { login, linked, bob, anonymous })
        {
            Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);
        }

        Assert.NotNull(await store.Users.EveryoneRevokedAtAsync());
        Assert.Empty(await store.Users.GetUserSessionsAsync("alice"));
        var fresh = await TestSessions.CreateAsync(store, "alice");
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(fresh)).Status);
    }

    [Fact]
    public async Task RevokeAll_WithoutEveryone_IsAUsageError_AndRevokesNothing()
    {
        var prefix = redis.PrefixFor("everyone");
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");

        var result = await CliRun.RunAsync(["revoke-all", "--yes", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--everyone", result.Out + result.Error, StringComparison.Ordinal);
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
        Assert.Null(await store.Users.EveryoneRevokedAtAsync());
    }

    [Fact]
    public async Task RevokeAll_WithoutYes_NotATerminal_RefusesWithExitTwo_AndRevokesNothing()
    {
        var prefix = redis.PrefixFor("everyone");
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");

        var result = await CliRun.RunAsync(["revoke-all", "--everyone", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("without --yes", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);

        var json = await CliRun.RunAsync(["revoke-all", "--everyone", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(json.ExitCode == 2, json.ToString());
        Assert.Equal(string.Empty, json.Out);

        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);
        Assert.Null(await store.Users.EveryoneRevokedAtAsync());
    }

    [Fact]
    public async Task RevokeAll_OnATerminal_AsksFirst_NoKeepsEverything_YesRevokes()
    {
        var prefix = redis.PrefixFor("everyone");
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");
        string[] args = ["revoke-all", "--everyone", "--redis", redis.Endpoint, "--prefix", prefix];

        var declined = await new ScriptedConsole("n\n").RunAsync(args);
        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains("Revoke every session and login of every user under", declined.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing was revoked", declined.Error, StringComparison.Ordinal);
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(id)).Status);

        var confirmed = await new ScriptedConsole("y\n").RunAsync(args);
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);
    }

    [Fact]
    public async Task Cleanup_AfterRevokeAll_ReportsTheDeadKeys_AndApplyDeletesThem_LeavingTheLiveOnes()
    {
        var prefix = redis.PrefixFor("everyone");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice");
        var anonymous = await TestSessions.CreateAsync(store);
        await store.Users.RevokeEverythingAsync();
        var after = await TestSessions.CreateAsync(store, "alice");
        string[] dead = [login, linked, anonymous];

        var dry = TestSessions.Json(await CliRun.RunAsync(["cleanup", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(3, dry.GetProperty("revokedFound").GetInt64());
        Assert.Equal(0, dry.GetProperty("revokedDeleted").GetInt64());
        Assert.All(dead, id => Assert.True(redis.Db.KeyExists(prefix + SessionIds.Handle(id))));

        var applied = await CliRun.RunAsync(["cleanup", "--apply", "--delete", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("Deleted 3 of 3 session(s) and login(s) created before revoke-all --everyone", applied.Out, StringComparison.Ordinal);
        foreach (var id in dead)
        {
            Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
        }

        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(after)).Status);
        // The user index no longer names the deleted devices.
        var members = await redis.Db.SortedSetRangeByRankAsync(prefix + "user:alice");
        Assert.DoesNotContain(members, m => ((string)m!).EndsWith(SessionIds.Handle(login), StringComparison.Ordinal));
        Assert.Single(await store.Users.GetUserSessionsAsync("alice"));
    }
}
