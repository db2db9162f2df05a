using StackExchange.Redis;

namespace Tessera.Cli.Tests;

public sealed class ShowCommandTests(RedisFixture redis)
{
    [Fact]
    public async Task Show_Session_MetadataAndFieldSizesWithoutValues()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, "alice", ("greeting", "hello world"));

        var result = await CliRun.RunAsync(["show", id, "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(SessionIds.Handle(id), result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(id, result.Out, StringComparison.Ordinal);
        Assert.Contains("alice", result.Out, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1", result.Out, StringComparison.Ordinal);
        Assert.Contains("test-agent", result.Out, StringComparison.Ordinal);
        Assert.Contains("greeting", result.Out, StringComparison.Ordinal);
        Assert.Contains("12 B", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("hello world", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Values_PlainCounterAndEncoded()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, null, ("greeting", "hello world"));
        await store.IncrementAsync(id, "visits", 3);
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(id), "secret", new byte[] { 0x07, 1, 2, 3 });
        await store.CommitAsync(id, Changes("#odd", "hash key"));

        var result = await CliRun.RunAsync(["show", id, "--values", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("hello world", result.Out, StringComparison.Ordinal);
        Assert.Matches(@"visits\s*│\s*1 B\s*│\s*counter\s*│\s*3", result.Out);
        Assert.Contains("encoded (0x07)", result.Out, StringComparison.Ordinal);
        Assert.Contains("needs the application's key", result.Out, StringComparison.Ordinal);
        Assert.Contains("#odd", result.Out, StringComparison.Ordinal);

        var json = TestSessions.Json(await CliRun.RunAsync(["show", id, "--values", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        var fields = json.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!, f => f);
        Assert.Equal("hello world", fields["greeting"].GetProperty("value").GetString());
        Assert.Equal("encoded", fields["secret"].GetProperty("kind").GetString());
        Assert.Equal(4, fields.Count);
    }

    [Fact]
    public async Task Show_Lifetimes_NeverAnExpiredValue()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = await TestSessions.CreateAsync(store, null, ("greeting", "hello world"));
        var changes = new SessionChanges();
        changes.Set("code", "live-code"u8.ToArray(), DateTimeOffset.UtcNow.AddHours(1));
        changes.Set("old", "stale-code"u8.ToArray(), DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(id, changes)).Status);

        var result = await CliRun.RunAsync(["show", id, "--values", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("live-code", result.Out, StringComparison.Ordinal);
        Assert.Contains("expires", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("stale-code", result.Out, StringComparison.Ordinal);
        Assert.Contains("<expired", result.Out, StringComparison.Ordinal);

        var json = TestSessions.Json(await CliRun.RunAsync(["show", id, "--values", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));
        var fields = json.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!, f => f);
        Assert.Equal("expired", fields["old"].GetProperty("kind").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.String, fields["code"].GetProperty("expiresAt").ValueKind);
        Assert.DoesNotContain("stale-code", fields["old"].GetProperty("value").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowAndRevoke_IdStartingWithDash_IsAnIdNotAnOption()
    {
        var prefix = redis.PrefixFor();
        var store = redis.CreateStore(prefix);
        var id = "-" + new string('A', 42);
        Assert.True(SessionIds.IsValid(id));
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, Changes("k", "v"))).Status);

        var show = await CliRun.RunAsync(["show", id, "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains(SessionIds.Handle(id), show.Out, StringComparison.Ordinal);

        var revoke = await CliRun.RunAsync(["revoke", id, "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.False(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(id)));
    }

    [Fact]
    public async Task Show_EncryptedValues_DecryptOnlyWithTheKeyAndValues()
    {
        var prefix = redis.PrefixFor();
        var key = EncryptionOptions.NewKey();
        var options = new TesseraOptions { KeyPrefix = prefix };
        options.Encryption.AddKey(3, key, active: true);
        options.Compression.Enabled = true;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var store = new RedisSessionStore(new TesseraConnection(redis.Multiplexer, wrapped), wrapped, ValueCodec.Create(options));
        var big = string.Concat(Enumerable.Repeat("cart-line;", 300));
        var id = SessionIds.NewId();
        var changes = Changes("card", "4111-1111");
        changes.Set("cart", System.Text.Encoding.UTF8.GetBytes(big));
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);

        var withoutKey = await CliRun.RunAsync(["show", id, "--values", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.True(withoutKey.ExitCode == 0, withoutKey.ToString());
        Assert.DoesNotContain("4111-1111", withoutKey.Out, StringComparison.Ordinal);
        Assert.Contains("needs the application's key", withoutKey.Out, StringComparison.Ordinal);

        var withKey = await CliRun.RunAsync(["show", id, "--values", "--key", $"3:{key}", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);
        var fields = TestSessions.Json(withKey).GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!, f => f);
        Assert.Equal("4111-1111", fields["card"].GetProperty("value").GetString());
        Assert.StartsWith("cart-line;cart-line;", fields["cart"].GetProperty("value").GetString(), StringComparison.Ordinal);

        var wrongKey = await CliRun.RunAsync(["show", id, "--values", "--key", $"3:{EncryptionOptions.NewKey()}", "--redis", redis.Endpoint, "--prefix", prefix]);
        Assert.DoesNotContain("4111-1111", wrongKey.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--key", "1:AAAA", "--values")]
    [InlineData("--key", "nope", "--values")]
    [InlineData("--key", "0:x", "--values")]
    public async Task Show_BadKey_ExitsTwo(string option, string value, string values)
    {
        var result = await CliRun.RunAsync(["show", SessionIds.NewId(), option, value, values, "--redis", redis.Endpoint]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_KeyWithoutValues_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["show", SessionIds.NewId(), "--key", $"1:{EncryptionOptions.NewKey()}", "--redis", redis.Endpoint]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--values", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Missing_ExitsFour()
    {
        var prefix = redis.PrefixFor();

        var result = await CliRun.RunAsync(["show", SessionIds.NewId(), "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("No session", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Tombstone_IsNoSession()
    {
        var prefix = redis.PrefixFor();
        var id = SessionIds.NewId();
        await redis.Db.HashSetAsync(prefix + id, [new HashEntry("#r", SessionIds.NewId())]);

        var result = await CliRun.RunAsync(["show", id, "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task Show_MalformedId_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["show", "not-an-id", "--redis", redis.Endpoint]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not a session handle or id", result.Error, StringComparison.Ordinal);
    }

    private static SessionChanges Changes(string key, string value)
    {
        var changes = new SessionChanges();
        changes.Set(key, System.Text.Encoding.UTF8.GetBytes(value));
        return changes;
    }
}
