using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>HttpContext.Session through a real ASP.NET Core pipeline, run against each server kind.</summary>
public abstract class SessionPipelineBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    protected Task<TestApp> StartAppAsync(Action<TesseraSessionOptions>? configure = null, string? prefix = null) =>
        TestApp.StartAsync(Server.Endpoint, prefix ?? Server.PrefixFor(), configure);

    [Fact]
    public async Task NewVisitor_WhoStoresNothing_GetsNoCookieAndNoKey()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/get?k=missing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        using var peek = await client.GetAsync("/peek");
        Assert.Equal(HttpStatusCode.Unauthorized, peek.StatusCode);
        Assert.False(peek.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Login_SetsSecureHttpOnlyLaxCookie_AndValuesPersist()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        using var login = await client.PostAsync("/login?user=ada");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-Tessera=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("no-store", login.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        var id = client.Cookie("__Host-Tessera");
        Assert.True(SessionIds.IsValid(id));

        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "page_views,username"), await client.GetTextAsync("/keys"));
        Assert.True(await Server.Db.KeyExistsAsync(app.Store.KeyFor(id!)));
    }

    [Fact]
    public async Task Session_IsShared_ByTwoAppInstancesOnOneRedis()
    {
        var prefix = Server.PrefixFor();
        await using var first = await StartAppAsync(prefix: prefix);
        await using var second = await StartAppAsync(prefix: prefix);
        using var a = first.CreateClient();
        await a.PostTextAsync("/set?k=color&v=teal");
        using var b = second.CreateClient();
        b.SetCookie("__Host-Tessera", a.Cookie("__Host-Tessera")!);
        Assert.Equal((HttpStatusCode.OK, "teal"), await b.GetTextAsync("/get?k=color"));
        await b.PostTextAsync("/set?k=size&v=xl");
        Assert.Equal((HttpStatusCode.OK, "xl"), await a.GetTextAsync("/get?k=size"));
    }

    [Fact]
    public async Task Sessions_AreIsolated()
    {
        await using var app = await StartAppAsync();
        using var a = app.CreateClient();
        using var b = app.CreateClient();
        await a.PostTextAsync("/login?user=a");
        await b.PostTextAsync("/login?user=b");
        await a.GetTextAsync("/view");
        Assert.Equal((HttpStatusCode.OK, "b"), await b.GetTextAsync("/peek"));
        Assert.Equal((HttpStatusCode.OK, "1"), await b.GetTextAsync("/view"));
        Assert.Equal((HttpStatusCode.OK, "2"), await a.GetTextAsync("/view"));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("%00%ff%fe")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task MalformedCookie_IsANewVisitor_NeverAnError(string cookie)
    {
        await using var app = await StartAppAsync();
        using var raw = app.CreateRawClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/peek");
        request.Headers.TryAddWithoutValidation("Cookie", $"__Host-Tessera={cookie}");
        using var response = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        using var write = new HttpRequestMessage(HttpMethod.Post, "/set?k=a&v=b");
        write.Headers.TryAddWithoutValidation("Cookie", $"__Host-Tessera={cookie}");
        using var written = await raw.SendAsync(write);
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        var setCookie = Assert.Single(written.Headers.GetValues("Set-Cookie"));
        var issued = setCookie["__Host-Tessera=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.True(SessionIds.IsValid(issued));
        Assert.NotEqual(cookie, issued);
    }

    [Fact]
    public async Task UnknownId_IsNeverAdopted_ANewOneIsIssued()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        var planted = SessionIds.NewId();
        client.SetCookie("__Host-Tessera", planted);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
        await client.PostTextAsync("/login?user=victim");
        var issued = client.Cookie("__Host-Tessera");
        Assert.NotEqual(planted, issued);
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(planted)));

        // A write-only request with a planted identifier is not adopted either.
        using var other = app.CreateClient();
        other.SetCookie("__Host-Tessera", planted);
        await other.PostTextAsync("/set?k=a&v=b");
        Assert.NotEqual(planted, other.Cookie("__Host-Tessera"));
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(planted)));
    }

    [Fact]
    public async Task Logout_DeletesTheKey_AndTheOldCookieNoLongerWorks()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var id = client.Cookie("__Host-Tessera")!;
        using var logout = await client.PostAsync("/logout");
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-Tessera=;", StringComparison.Ordinal));
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(id)));
        Assert.Null(client.Cookie("__Host-Tessera"));

        using var stale = app.CreateClient();
        stale.SetCookie("__Host-Tessera", id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetTextAsync("/view")).Status);
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.KeyFor(id)));
    }

    [Fact]
    public async Task CorruptData_UnderTheKey_IsNoSession_NotA500()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/login?user=ada");
        var id = client.Cookie("__Host-Tessera")!;
        await Server.Db.KeyDeleteAsync(app.Store.KeyFor(id));
        await Server.Db.StringSetAsync(app.Store.KeyFor(id), "{\"not\":\"a session\"}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/peek")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/view")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=username")).Status);
        // The foreign data is left alone.
        Assert.Equal("{\"not\":\"a session\"}", (string?)await Server.Db.StringGetAsync(app.Store.KeyFor(id)));
    }

    [Fact]
    public async Task WriteOnlyRequest_CostsNoLoad_AndRemoveWorks()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=a&v=1");
        await client.PostTextAsync("/set?k=b&v=2");
        await client.PostTextAsync("/remove?k=a");
        Assert.Equal((HttpStatusCode.OK, "b"), await client.GetTextAsync("/keys"));
    }

    [Fact]
    public async Task Increment_ForANewVisitor_CreatesTheSession()
    {
        await using var app = await StartAppAsync();
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "1"), await client.PostTextAsync("/incr?k=n"));
        Assert.True(SessionIds.IsValid(client.Cookie("__Host-Tessera")));
        Assert.Equal((HttpStatusCode.OK, "2"), await client.PostTextAsync("/incr?k=n"));
    }

    [Fact]
    public async Task HostPrefixedCookie_IsSupported()
    {
        await using var app = await StartAppAsync(o => o.Cookie.Name = "__Host-sid");
        using var client = app.CreateClient();
        using var response = await client.PostAsync("/login?user=ada");
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-sid=", setCookie, StringComparison.Ordinal);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
    }

    [Theory]
    [InlineData("IdleTimeout")]
    [InlineData("AbsoluteTimeout")]
    [InlineData("KeyPrefix")]
    [InlineData("Cookie.SecurePolicy")]
    [InlineData("Configuration")]
    public async Task BadOption_StopsStartup_WithAMessageThatNamesIt(string option)
    {
        Action<TesseraSessionOptions> configure = option switch
        {
            "IdleTimeout" => o => o.IdleTimeout = TimeSpan.Zero,
            "AbsoluteTimeout" => o => o.AbsoluteTimeout = TimeSpan.FromSeconds(5),
            "KeyPrefix" => o => o.KeyPrefix = "{all}:",
            "Cookie.SecurePolicy" => o =>
            {
                o.Cookie.Name = "__Host-x";
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            },
            _ => o => o.Configuration = "  ",
        };
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAppAsync(configure));
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }
}

public sealed class RedisSessionPipelineTests(RedisFixture server) : SessionPipelineBehaviour(server);

public sealed class GarnetSessionPipelineTests(GarnetFixture server) : SessionPipelineBehaviour(server);
