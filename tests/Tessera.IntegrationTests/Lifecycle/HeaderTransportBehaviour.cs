using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Session ids carried in a header (<see cref="SessionIdTransport"/>), by a client that never sends a
/// cookie: the same strict ids, rotation, revocation and binding as the cookie, tested from the
/// attacker's side (an old id after rotation, a revoked id, another client address, forged values).
/// </summary>
public abstract class HeaderTransportBehaviour(ServerFixture server)
{
    private const string Cookie = "__Host-Tessera";

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAppAsync(Action<TesseraSessionOptions>? configure = null, bool forwarded = false) =>
        TestApp.StartAsync(
            Server.Endpoint,
            Server.PrefixFor(),
            o =>
            {
                o.IdTransport = SessionIdTransport.Header;
                configure?.Invoke(o);
            },
            services: forwarded
                ? s => s.Configure<ForwardedHeadersOptions>(f =>
                {
                    f.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                    f.KnownIPNetworks.Clear();
                    f.KnownProxies.Clear();
                })
                : null,
            beforeSession: forwarded ? a => a.UseForwardedHeaders() : null);

    [Fact]
    public async Task Header_CreateThenReadBack_WorksWithoutAnyCookie()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        using (var created = await client.SendAsync(HttpMethod.Post, "/set?k=cart&v=book"))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            Assert.Contains("no-store", created.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        }

        var id = client.Id;
        Assert.True(SessionIds.IsValid(id), $"a new session's id comes back in the header, got '{id}'");
        Assert.Equal((HttpStatusCode.OK, "book"), await client.GetTextAsync("/get?k=cart"));
        using (var read = await client.SendAsync(HttpMethod.Get, "/get?k=cart"))
        {
            // A read of a known id sends nothing back: the client keeps the id it has.
            Assert.False(read.Headers.Contains(client.HeaderName));
        }

        Assert.Equal(id, client.Id);
        Assert.Empty(client.SetCookies);
        Assert.True(await Server.Db.KeyExistsAsync(app.Store.KeyFor(id!)));
    }

    [Fact]
    public async Task Header_WithAnotherName_IsReadAndWrittenUnderThatName()
    {
        await using var app = await StartAppAsync(o => o.HeaderName = "X-Session-Token");
        using var client = app.CreateHeaderClient("X-Session-Token");
        await client.PostTextAsync("/set?k=a&v=1");
        Assert.True(SessionIds.IsValid(client.Id));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));

        // The default name means nothing to this app.
        using var other = app.CreateHeaderClient();
        other.Id = client.Id;
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetTextAsync("/get?k=a")).Status);
    }

    [Fact]
    public async Task Header_Rotation_ReturnsTheNewIdInTheHeader_AndTheOldIdIsRefused()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        await client.PostTextAsync("/signin?user=ada");
        await client.PostTextAsync("/set?k=secret&v=42");
        var old = client.Id!;
        Assert.Equal((HttpStatusCode.OK, "rotated"), await client.PostTextAsync("/rotate"));
        var current = client.Id!;
        Assert.NotEqual(old, current);
        Assert.True(SessionIds.IsValid(current));
        Assert.Equal((HttpStatusCode.OK, "42"), await client.GetTextAsync("/get?k=secret"));
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));

        // The attacker replays the old id: no values, no user; a write-only request lands through the
        // tombstone (the in-flight rule, as with a cookie) but never learns the current id.
        using var attacker = app.CreateHeaderClient();
        attacker.Id = old;
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=secret")).Status);
        await attacker.PostTextAsync("/set?k=x&v=y");
        Assert.NotEqual(current, attacker.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Empty(client.SetCookies);
        Assert.Empty(attacker.SetCookies);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task Header_RevokedId_IsRefused_AndNeverRecreated()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        await client.PostTextAsync("/signin?user=ada");
        var revoked = client.Id!;
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        await app.Store.Users.RevokeUserSessionsAsync("ada", null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=a&v=1")).Status);
        Assert.NotEqual(revoked, client.Id);
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(revoked)), "a revoked id must never be created again");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task Header_Logout_EmptiesTheHeader_AndTheIdIsDead()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        await client.PostTextAsync("/signin?user=ada");
        var id = client.Id!;
        using (var bye = await client.SendAsync(HttpMethod.Post, "/logout"))
        {
            Assert.True(bye.Headers.TryGetValues(client.HeaderName, out var values));
            Assert.Equal(string.Empty, Assert.Single(values));
        }

        Assert.Null(client.Id);
        using var replay = app.CreateHeaderClient();
        replay.Id = id;
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetTextAsync("/peek")).Status);
    }

    [Fact]
    public async Task Header_FromAnotherAddress_IsRefusedByTheBinding()
    {
        await using var app = await StartAppAsync(o => o.ClientBinding.Mode = ClientBindingMode.Address, forwarded: true);
        using var victim = app.CreateHeaderClient();
        victim.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.1");
        await victim.PostTextAsync("/signin?user=victim");
        await victim.PostTextAsync("/set?k=k&v=victim");
        var victimId = victim.Id!;

        using var attacker = app.CreateHeaderClient();
        attacker.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "10.0.0.2");
        attacker.Id = victimId;
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attacker.GetTextAsync("/get?k=k")).Status);
        await attacker.PostTextAsync("/set?k=k&v=attacker");
        Assert.NotEqual(victimId, attacker.Id);
        await attacker.PostTextAsync("/logout");

        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/get?k=k"));
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/peek"));
    }

    public static TheoryData<string> ForgedValues() => new()
    {
        "x",
        " ",
        new string('A', 42),
        new string('A', 44),
        new string('A', 42) + "!",
        // 43 characters whose last one carries bits past 256.
        new string('A', 42) + "B",
        new string('A', 16 * 1024),
        "' OR 1=1 --",
        "../../etc/passwd",
        "session:*",
        "%00%0d%0aSet-Cookie: x=y",
    };

    [Theory]
    [MemberData(nameof(ForgedValues))]
    public async Task Header_ForgedValue_IsANewVisitor_Never500(string forged)
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        client.Id = forged;
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
        client.Id = forged;
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=a")).Status);
        client.Id = forged;
        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=a&v=1"));
        Assert.True(SessionIds.IsValid(client.Id), "a write gets a new, real id");
        Assert.NotEqual(forged, client.Id);
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));
    }

    [Fact]
    public async Task Header_UnknownIdsAndHandles_AreNewVisitors_NeverAdopted()
    {
        await using var app = await StartAppAsync();
        using var owner = app.CreateHeaderClient();
        await owner.PostTextAsync("/signin?user=ada");
        foreach (var value in new[] { SessionIds.NewId(), SessionIds.Handle(owner.Id!) })
        {
            using var attacker = app.CreateHeaderClient();
            attacker.Id = value;
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/peek")).Status);
            await attacker.PostTextAsync("/set?k=a&v=1");
            Assert.NotEqual(value, attacker.Id);
            Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(value)), "strict: an unknown id is never adopted");
        }

        Assert.Equal((HttpStatusCode.OK, "ada"), await owner.GetTextAsync("/peek"));
    }

    [Fact]
    public async Task Header_SentTwice_IsNeitherValue()
    {
        await using var app = await StartAppAsync();
        using var owner = app.CreateHeaderClient();
        await owner.PostTextAsync("/signin?user=ada");
        using var raw = app.CreateRawClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/peek");
        request.Headers.TryAddWithoutValidation(TesseraSessionOptions.DefaultHeaderName, [owner.Id!, owner.Id!]);
        using var response = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task HeaderMode_IgnoresTheCookie_AndCookieMode_IgnoresTheHeader()
    {
        await using var app = await StartAppAsync();
        using var owner = app.CreateHeaderClient();
        await owner.PostTextAsync("/signin?user=ada");

        // The same live id as a cookie: a header app never reads it, nor sets one.
        using var browser = app.CreateClient();
        browser.SetCookie(Cookie, owner.Id!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetTextAsync("/peek")).Status);
        await browser.PostTextAsync("/set?k=a&v=1");
        Assert.Equal(owner.Id, browser.Cookie(Cookie));

        await using var cookieApp = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor());
        using var cookieClient = cookieApp.CreateClient();
        await cookieClient.PostTextAsync("/signin?user=ada");
        using var header = cookieApp.CreateHeaderClient();
        header.Id = cookieClient.Cookie(Cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await header.GetTextAsync("/peek")).Status);
        using var written = await header.SendAsync(HttpMethod.Post, "/set?k=a&v=1");
        Assert.False(written.Headers.Contains(header.HeaderName), "a cookie app never sends the id in a header");
    }

    [Fact]
    public async Task Header_LockedEndpoint_SerializesTheSessionsRequests()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateHeaderClient();
        await client.PostTextAsync("/set?k=a&v=1");
        var id = client.Id!;
        // Read-modify-write under the per-session lock, the lock named by the header's id.
        var adds = Enumerable.Range(0, 8).Select(async n =>
        {
            using var tab = app.CreateHeaderClient();
            tab.Id = id;
            return (await tab.PostTextAsync($"/cart/add?item=i{n}")).Status;
        });
        Assert.All(await Task.WhenAll(adds), static status => Assert.Equal(HttpStatusCode.OK, status));
        var (_, cart) = await client.GetTextAsync("/cart");
        Assert.Equal(8, System.Text.Json.JsonSerializer.Deserialize<List<string>>(cart)!.Count);
    }

    [Fact]
    public async Task Both_AnswersEachClientTheWayItsIdCame()
    {
        await using var app = await StartAppAsync(o => o.IdTransport = SessionIdTransport.Both);
        // A client that brought no id gets it both ways; from then on, the way it sends it.
        using var api = app.CreateHeaderClient();
        await api.PostTextAsync("/set?k=a&v=1");
        Assert.True(SessionIds.IsValid(api.Id));
        Assert.Single(api.SetCookies);
        api.SetCookies.Clear();
        await api.PostTextAsync("/signin?user=ada");
        Assert.True(SessionIds.IsValid(api.Id));
        Assert.Empty(api.SetCookies);
        await api.PostTextAsync("/rotate");
        Assert.Empty(api.SetCookies);
        Assert.Equal((HttpStatusCode.OK, "ada"), await api.GetTextAsync("/peek"));

        using var browser = app.CreateClient();
        await browser.PostTextAsync("/set?k=a&v=1");
        var anonymous = browser.Cookie(Cookie);
        using (var signedIn = await browser.PostAsync("/signin?user=bob"))
        {
            Assert.False(signedIn.Headers.Contains(TesseraSessionOptions.DefaultHeaderName), "a cookie request gets its id as a cookie only");
        }

        Assert.True(SessionIds.IsValid(browser.Cookie(Cookie)));
        Assert.NotEqual(anonymous, browser.Cookie(Cookie));
        Assert.Equal((HttpStatusCode.OK, "bob"), await browser.GetTextAsync("/peek"));

        // A request that carries the header is judged by it alone: a forged header never falls back to the cookie.
        browser.Http.DefaultRequestHeaders.TryAddWithoutValidation(TesseraSessionOptions.DefaultHeaderName, "forged");
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetTextAsync("/peek")).Status);
    }
}

public sealed class RedisHeaderTransportTests(RedisFixture server) : HeaderTransportBehaviour(server);

public sealed class GarnetHeaderTransportTests(GarnetFixture server) : HeaderTransportBehaviour(server);
