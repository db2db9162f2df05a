using System.Text.Json;

namespace Tessera.Cli.Tests;

public sealed class RevokeCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Revoke_Session_DeletesItAndItsIndexEntry()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");
        var other = await TestSessions.CreateAsync(store, "alice");

        var result = await CliRun.RunAsync(["revoke", id, "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(SessionIds.LogTag(id), result.Out, StringComparison.Ordinal);
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(other)));
        Assert.Null(await redis.Db.SortedSetScoreAsync(prefix + "user:alice", SessionIds.Handle(id)));

        var again = await CliRun.RunAsync(["revoke", id, "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(4, again.ExitCode);

        // The handle an operator copies from list or user sessions works the same.
        var byHandle = await CliRun.RunAsync(["revoke", SessionIds.Handle(other), "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(0, byHandle.ExitCode);
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(other)));
    }

    [Fact]
    public async Task Show_HostileText_IsStripped()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");

        // Someone with write access to Redis writes escape sequences and a bidi override, bypassing the library.
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(id), [new("#ua", "evil\u001b]0;pwned\u0007\u001b[2J\u202Egnp.exe"), new("#ip", "10.0.0.1\u009b31m")]);

        var table = await CliRun.RunAsync(["user", "sessions", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);
        var show = await CliRun.RunAsync(["show", SessionIds.Handle(id), "--redis", redis.Endpoint, "--prefix", prefix]);

        foreach (var output in new[] { table, show })
        {
            Assert.True(output.ExitCode == 0, output.ToString());
            Assert.DoesNotContain(output.Out, static c => TerminalText.IsUnsafe(c) && c is not '\n' and not '\r');
            Assert.Contains("pwned", output.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task UserSessions_ShowsEachDevicesName_Label_AndSignInMethod_AndAHostileNameStripped()
    {
        var prefix = redis.PrefixFor("names");
        var store = redis.CreateStore(prefix);
        var laptop = SessionIds.NewId();
        var write = new SessionWrite
        {
            UserId = "alice",
            UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            SignInMethod = "passkey",
            DeviceName = "Work laptop",
        };
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(laptop, new SessionChanges(), write)).Status);
        var phone = await TestSessions.CreateAsync(store, "alice");
        // Written past the library (a name stored by an older version, a hand edit): still printed harmless.
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(phone), [new("#n", "phone\u001b]0;pwned\u0007\u001b[2J\u202E[red]x[/]")]);

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "sessions", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        var named = json.GetProperty("sessions").EnumerateArray().Single(d => d.GetProperty("handle").GetString() == SessionIds.Handle(laptop));
        Assert.Equal(("Work laptop", "Chrome on Windows", "passkey"), (named.GetProperty("deviceName").GetString(), named.GetProperty("deviceLabel").GetString(), named.GetProperty("signInMethod").GetString()));

        var table = await CliRun.RunAsync(["user", "sessions", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Work laptop", table.Out, StringComparison.Ordinal);
        Assert.Contains("Chrome on Windows", table.Out, StringComparison.Ordinal);
        Assert.Contains("passkey", table.Out, StringComparison.Ordinal);
        Assert.Contains("[red]x[/]", table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(table.Out, static c => TerminalText.IsUnsafe(c) && c is not '\n' and not '\r');
    }

    [Fact]
    public async Task UserSessions_ListsTheUsersSessionsOnly()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var a1 = await TestSessions.CreateAsync(store, "alice");
        var a2 = await TestSessions.CreateAsync(store, "alice");
        var b1 = await TestSessions.CreateAsync(store, "bob");

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "sessions", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        var handles = json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("handle").GetString()).ToList();
        Assert.Equal(new[] { a1, a2 }.Select(SessionIds.Handle).Order(), handles.Order());
        Assert.Equal("10.0.0.1", json.GetProperty("sessions")[0].GetProperty("clientIp").GetString());

        var table = await CliRun.RunAsync(["user", "sessions", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(SessionIds.Handle(a1), table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.Handle(b1), table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(a1, table.Out, StringComparison.Ordinal);
        Assert.Contains("2 session(s)", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserSessions_ListsALoginAndItsLinkedSessionAsOneDevice()
    {
        var prefix = redis.PrefixFor("devices");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice");
        var phone = await TestSessions.CreateAsync(store, "alice");
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(linked), [new("#lip", "192.0.2.7"), new("#lua", "laptop-agent/2")]);

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "sessions", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(2, json.GetProperty("devices").GetInt32());
        var devices = json.GetProperty("sessions").EnumerateArray().ToDictionary(static d => d.GetProperty("handle").GetString()!);
        Assert.Equal(new[] { login, phone }.Select(SessionIds.Handle).Order(), devices.Keys.Order());
        var laptop = devices[SessionIds.Handle(login)];
        Assert.Equal([SessionIds.Handle(linked)], laptop.GetProperty("linkedHandles").EnumerateArray().Select(static h => h.GetString()));
        Assert.Equal(JsonValueKind.String, laptop.GetProperty("authenticatedAt").ValueKind);
        Assert.Equal("192.0.2.7", laptop.GetProperty("lastClientIp").GetString());
        Assert.Equal(JsonValueKind.Null, devices[SessionIds.Handle(phone)].GetProperty("authenticatedAt").ValueKind);

        var table = await CliRun.RunAsync(["user", "sessions", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("authenticated", table.Out, StringComparison.Ordinal);
        Assert.Contains("192.0.2.7", table.Out, StringComparison.Ordinal);
        Assert.Contains("laptop-agent/2", table.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.Handle(login), table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.Handle(linked), table.Out, StringComparison.Ordinal); // listed with its login, not as a device
        Assert.Contains("2 device(s), 3 session(s) in all", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserRevokeAll_LogsTheUserOutEverywhereButExcept()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var keep = await TestSessions.CreateAsync(store, "alice");
        var gone1 = await TestSessions.CreateAsync(store, "alice");
        var gone2 = await TestSessions.CreateAsync(store, "alice");
        var bob = await TestSessions.CreateAsync(store, "bob");

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "revoke-all", "alice", "--except", keep, "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(2, json.GetProperty("revoked").GetInt32());
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(keep)));
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(gone1)));
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(gone2)));
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(bob)));

        var all = await CliRun.RunAsync(["user", "revoke-all", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(0, all.ExitCode);
        Assert.Contains("Revoked 1 session(s)", all.Out, StringComparison.Ordinal);
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(keep)));
        Assert.Equal(0, await redis.Db.SortedSetLengthAsync(prefix + "user:alice"));
    }

    [Fact]
    public async Task Revoke_DryRun_NamesTheSessionAndDeletesNothing()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice");

        var result = await CliRun.RunAsync(["revoke", id, "--dry-run", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("would revoke session " + SessionIds.LogTag(id), result.Out, StringComparison.Ordinal);
        Assert.Contains("alice", result.Out, StringComparison.Ordinal);
        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
        Assert.NotNull(await redis.Db.SortedSetScoreAsync(prefix + "user:alice", SessionIds.Handle(id)));
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, new SessionChanges())).Status);

        var json = TestSessions.Json(await CliRun.RunAsync(["revoke", id, "--dry-run", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.True(json.GetProperty("wouldRevoke").GetBoolean());
        Assert.Equal("alice", json.GetProperty("user").GetString());

        var missing = await CliRun.RunAsync(["revoke", SessionIds.NewId(), "--dry-run", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.Equal(4, missing.ExitCode);
    }

    [Fact]
    public async Task UserRevokeAll_DryRun_ListsWhatWouldGoAndDeletesNothing()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var keep = await TestSessions.CreateAsync(store, "alice");
        var other1 = await TestSessions.CreateAsync(store, "alice");
        var other2 = await TestSessions.CreateAsync(store, "alice");
        var dead = await TestSessions.CreateAsync(store, "alice");
        await redis.Db.KeyDeleteAsync(prefix + SessionIds.Handle(dead)); // idle-expired: still in the index, no longer a session

        var table = await CliRun.RunAsync(["user", "revoke-all", "alice", "--except", keep, "--dry-run", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("would revoke 2 session(s) of alice", table.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.LogTag(other1), table.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.LogTag(other2), table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.LogTag(keep), table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.LogTag(dead), table.Out, StringComparison.Ordinal);
        foreach (var id in new[] { keep, other1, other2 })
        {
            Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
        }

        Assert.Equal(4, await redis.Db.SortedSetLengthAsync(prefix + "user:alice"));

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "revoke-all", "alice", "--dry-run", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(3, json.GetProperty("wouldRevoke").GetInt32());

        // The real run then revokes exactly what the dry run listed.
        var real = TestSessions.Json(await CliRun.RunAsync(["user", "revoke-all", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        Assert.Equal(3, real.GetProperty("revoked").GetInt32());
    }
}
