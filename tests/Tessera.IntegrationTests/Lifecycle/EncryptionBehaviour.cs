using System.Net;
using StackExchange.Redis;

namespace Tessera.IntegrationTests;

/// <summary>Encryption at rest and compression against a real server.</summary>
public abstract class EncryptionBehaviour(ServerFixture server)
{
    private static readonly string Key1 = EncryptionOptions.NewKey();
    private static readonly string Key2 = EncryptionOptions.NewKey();

    protected ServerFixture Server { get; } = server;

    [Fact]
    public async Task EncryptedSession_ReadsBack_AndRedisHoldsNoPlaintext()
    {
        var prefix = Server.PrefixFor();
        await using var app = await TestApp.StartAsync(Server.Endpoint, prefix, o => o.Encryption.AddKey(1, Key1, active: true));
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=card&v=4111111111111111");
        Assert.Equal((HttpStatusCode.OK, "4111111111111111"), await client.GetTextAsync("/get?k=card"));
        var stored = (byte[])(await Server.Db.HashGetAsync(app.Store.KeyFor(client.Cookie("__Host-Tessera")!), "card"))!;
        Assert.Equal(2, stored[0]);
        Assert.Equal(-1, stored.AsSpan().IndexOf("4111"u8));
    }

    [Fact]
    public async Task RotatingTheKey_LogsNobodyOut_AndReencryptsOnTheNextRead()
    {
        var prefix = Server.PrefixFor();
        string id;
        CookieClient client;
        await using (var before = await TestApp.StartAsync(Server.Endpoint, prefix, o => o.Encryption.AddKey(1, Key1, active: true)))
        {
            client = before.CreateClient();
            await client.PostTextAsync("/login?user=ada");
            id = client.Cookie("__Host-Tessera")!;
        }

        await using var after = await TestApp.StartAsync(Server.Endpoint, prefix, o =>
        {
            o.Encryption.AddKey(1, Key1);
            o.Encryption.AddKey(2, Key2, active: true);
        });
        using var next = after.CreateClient();
        next.SetCookie("__Host-Tessera", id);
        Assert.Equal((HttpStatusCode.OK, "ada"), await next.GetTextAsync("/peek"));
        var stored = (byte[])(await Server.Db.HashGetAsync(after.Store.KeyFor(id), "username"))!;
        Assert.Equal(2, stored[1]);
        client.Dispose();
    }

    [Fact]
    public async Task TamperedCiphertext_IsNoSession_NotA500()
    {
        var prefix = Server.PrefixFor();
        await using var app = await TestApp.StartAsync(Server.Endpoint, prefix, o => o.Encryption.AddKey(1, Key1, active: true));
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var key = app.Store.KeyFor(client.Cookie("__Host-Tessera")!);
        var stored = (byte[])(await Server.Db.HashGetAsync(key, "username"))!;
        stored[^1] ^= 0xFF;
        await Server.Db.HashSetAsync(key, "username", stored);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task LargeValues_AreStoredCompressed()
    {
        var store = Server.CreateStore(o => o.Compression.Enabled = true);
        var id = SessionIds.NewId();
        var big = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<li>item</li>", 2000)));
        var changes = new SessionChanges();
        changes.Set("html", big);
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        var length = await Server.Db.HashStringLengthAsync(store.KeyFor(id), "html");
        Assert.InRange(length, 1, big.Length / 10);
        Assert.Equal(big, (await store.LoadAsync(id)).Record!.Values["html"]);
    }
}

public sealed class RedisEncryptionTests(RedisFixture server) : EncryptionBehaviour(server);

public sealed class GarnetEncryptionTests(GarnetFixture server) : EncryptionBehaviour(server);
