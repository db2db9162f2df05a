using StackExchange.Redis;

namespace Tessera.Cli.Tests;

public sealed class UserEraseCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Erase_WithYes_DeletesEverySessionLoginAndTheIndex_AndTheLoginCannotLoad()
    {
        var prefix = redis.PrefixFor("erase");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice", ("cart", "3 books"u8.ToArray()));
        var other = await TestSessions.CreateAsync(store, "alice");
        var bob = await TestSessions.CreateAsync(store, "bob");
        // The browsers alice signed in from (new-device detection): hers too, so erased with her sessions.
        await redis.Db.SortedSetAddAsync(prefix + "known:alice", "digest-of-a-browser", DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds());

        var result = await CliRun.RunAsync(["user", "erase", "alice", "--yes", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Erased 3 session(s) of alice", result.Out, StringComparison.Ordinal);
        foreach (var id in new[] { login, linked, other })
        {
            Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
            Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(id)).Status);
            Assert.NotEqual(CommitStatus.Committed, (await store.CommitAsync(id, new SessionChanges())).Status);
        }

        // What is left under the prefix: bob's session and index, and alice's short-lived revocation mark. No other trace of alice.
        var left = await KeysAsync(prefix);
        Assert.Equal(new[] { prefix + "revoked:alice", prefix + SessionIds.Handle(bob), prefix + "user:bob" }.Order(StringComparer.Ordinal), left);
        var ttl = await redis.Db.KeyTimeToLiveAsync(prefix + "revoked:alice");
        Assert.True(ttl is { } t && t <= TimeSpan.FromMinutes(10), $"The revocation mark lives {ttl}.");
        Assert.Empty(await store.Users.GetUserSessionsAsync("alice"));
        Assert.Single(await store.Users.GetUserSessionsAsync("bob"));
    }

    [Fact]
    public async Task Erase_WithoutYes_NotATerminal_RefusesWithExitTwo_AndErasesNothing()
    {
        var prefix = redis.PrefixFor("erase");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice");

        var result = await CliRun.RunAsync(["user", "erase", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Refusing to erase alice (1 device(s), 2 session(s)) without --yes", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(login)));
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(linked)));
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(login)).Status);

        var json = await CliRun.RunAsync(["user", "erase", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(json.ExitCode == 2, json.ToString());
        Assert.Equal(string.Empty, json.Out);
    }

    [Fact]
    public async Task Erase_OnATerminal_AsksFirst_NoKeepsEverything_YesErases()
    {
        var prefix = redis.PrefixFor("erase");
        var store = redis.CreateStore(prefix);
        var (login, _) = await TestSessions.CreateDeviceAsync(store, "alice");
        string[] args = ["user", "erase", "alice", "--redis", redis.Endpoint, "--prefix", prefix];

        var declined = await new ScriptedConsole("n\n").RunAsync(args);
        Assert.True(declined.ExitCode == 1, declined.ToString());
        Assert.Contains("Erase every session and device record of alice (1 device(s), 2 session(s))?", declined.Out, StringComparison.Ordinal);
        Assert.Contains("Nothing was erased", declined.Error, StringComparison.Ordinal);
        Assert.Equal(LoadStatus.Found, (await store.LoadAsync(login)).Status);

        var confirmed = await new ScriptedConsole("y\n").RunAsync(args);
        Assert.True(confirmed.ExitCode == 0, confirmed.ToString());
        Assert.Contains("Erased 2 session(s) of alice", confirmed.Out, StringComparison.Ordinal);
        Assert.Equal(LoadStatus.NotFound, (await store.LoadAsync(login)).Status);
    }

    [Fact]
    public async Task Erase_Json_PrintsTheCount()
    {
        var prefix = redis.PrefixFor("erase");
        var store = redis.CreateStore(prefix);
        await TestSessions.CreateAsync(store, "carol");

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "erase", "carol", "--yes", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));

        Assert.Equal("carol", json.GetProperty("user").GetString());
        Assert.Equal(1, json.GetProperty("erased").GetInt32());
        Assert.False(await redis.Db.KeyExistsAsync(prefix + "user:carol"));
    }

    public static TheoryData<string[]> BadUsers => new()
    {
        { ["user", "erase", "--yes"] },
        { ["user", "export", "--json"] },
        { ["user", "erase", "al\u0001ice", "--yes"] },
        { ["user", "export", "al\u001b[2Jice", "--json"] },
        { ["user", "erase", new string('a', 600), "--yes"] },
        { ["user", "export", new string('a', 600), "--json"] },
        { ["user", "sessions", new string('a', 600)] },
        { ["user", "export", "alice", "--key-file", "a", "--key-stdin"] },
    };

    [Theory]
    [MemberData(nameof(BadUsers))]
    public async Task BadArguments_ExitTwoWithAClearMessage_NoStackTrace(string[] args)
    {
        var prefix = redis.PrefixFor("erase");

        var result = await CliRun.RunAsync([.. args, "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches("USER|--key", result.Error);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Error, static c => char.IsControl(c) && c is not '\n' and not '\r');
        Assert.Empty(await KeysAsync(prefix));
    }

    private async Task<string[]> KeysAsync(string prefix)
    {
        var server = redis.Multiplexer.GetServer(redis.Multiplexer.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: RedisPatternEscape(prefix) + "*"))
        {
            keys.Add(key!);
        }

        return [.. keys.Order(StringComparer.Ordinal)];
    }

    private static string RedisPatternEscape(string prefix) =>
        string.Concat(prefix.Select(static c => c is '*' or '?' or '[' or ']' or '\\' ? "\\" + c : c.ToString()));
}
