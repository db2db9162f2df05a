using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Tessera.Dashboard.Tests;

/// <summary>The dashboard's protections from the attacker's side, and its answers to bad input, over HTTP against a real redis-server.</summary>
public sealed partial class DashboardHttpTests(RedisFixture redis)
{
    [Theory]
    [InlineData("/admin/sessions")]
    [InlineData("/admin/sessions/users?user=alice")]
    [InlineData("/admin/sessions/live")]
    public async Task Get_Anonymous_IsRefused(string path)
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        using var client = app.Client(asOperator: false);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("Overview", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeAll_AnonymousWithAToken_IsRefusedAndRevokesNothing()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        await SignInAsync(app, "erin");
        using var anonymous = app.Client(asOperator: false);
        using var response = await anonymous.PostAsync("/admin/sessions/users/revoke-all", new FormUrlEncodedContent([new("user", "erin")]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("erin"));
    }

    [Fact]
    public async Task RevokeAll_OperatorWithoutAntiforgeryToken_Is400AndRevokesNothing()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        await SignInAsync(app, "frank");
        using var client = app.Client();
        using var response = await client.PostAsync("/admin/sessions/users/revoke-all", new FormUrlEncodedContent([new("user", "frank")]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("security token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("frank"));
    }

    [Fact]
    public async Task RevokeAll_OperatorWithToken_SignsTheUserOutEverywhere()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        var device = await SignInAsync(app, "gina");
        await SignInAsync(app, "gina");
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/users?user=gina");
        using var response = await client.PostAsync("/admin/sessions/users/revoke-all", new FormUrlEncodedContent([token, new("user", "gina")]));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/admin/sessions/users?user=gina&m=revoked-all&n=2", response.Headers.Location!.ToString());
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync("gina"));
        Assert.Equal("new visitor", await device.GetStringAsync("/whoami"));
    }

    [Fact]
    public async Task UserPage_ALoginAndItsLinkedSession_AreOneDevice_WithAuthenticatedAt()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        var login = SessionIds.NewId();
        var ticket = new SessionChanges();
        ticket.Set("ticket", [1, 2, 3]);
        Assert.Equal(CommitStatus.Committed, (await app.Store.CreateAsync(login, ticket, new SessionWrite { UserId = "ivy", UserAgent = "ivy-laptop", AuthenticatedAt = DateTimeOffset.MinValue })).Status);
        var linked = SessionIds.NewId();
        Assert.Equal(CommitStatus.Committed, (await app.Store.CreateAsync(linked, ticket, new SessionWrite { UserId = "ivy", LoginHandle = SessionIds.Handle(login) })).Status);
        using var client = app.Client();

        var html = await client.GetStringAsync("/admin/sessions/users?user=ivy");

        Assert.Single(Regex.Matches(html, "<tr data-session="));
        Assert.Contains($"<tr data-session=\"{SessionIds.LogTag(login)}\">", html, StringComparison.Ordinal);
        Assert.Contains("login + 1 linked session(s)", html, StringComparison.Ordinal);
        Assert.Contains("1 device(s) of ivy", html, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.Handle(linked), html, StringComparison.Ordinal);
        Assert.DoesNotContain(SessionIds.LogTag(linked), html, StringComparison.Ordinal);
        Assert.Matches("<td>[0-9]{4}-[0-9]{2}-[0-9]{2} [^<]*<br><span class=\"help\">[^<]*ago</span></td>\\s*<td class=\"mono\">", html); // authenticated at
    }

    [Fact]
    public async Task UserPage_ShowsEachDevicesName_Label_AndSignInMethod_WithAHostileNameEncoded()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        var laptop = SessionIds.NewId();
        var write = new SessionWrite
        {
            UserId = "jo",
            UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            SignInMethod = "google",
            DeviceName = "<img src=x onerror=alert(1)>\u001b[2J",
        };
        Assert.Equal(CommitStatus.Committed, (await app.Store.CreateAsync(laptop, new SessionChanges(), write)).Status);
        using var client = app.Client();

        var html = await client.GetStringAsync("/admin/sessions/users?user=jo");

        Assert.Contains("Safari on iPhone", html, StringComparison.Ordinal);
        Assert.Contains("signed in with google", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', html);
    }

    [Fact]
    public async Task Analytics_SignInCountedOnce_PlainReadsWriteNothing_DayKeptEightDays()
    {
        var prefix = redis.PrefixFor();
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix, eventStream: false);
        using var device = await SignInAsync(app, "hana");
        var day = Tessera.Analytics.AnalyticsLayout.DayKey(prefix, DateOnly.FromDateTime(DateTime.UtcNow));
        await Eventually.TrueAsync(async () => await redis.Db.HashGetAsync(day, "login") == 1, TimeSpan.FromSeconds(5));
        var before = await redis.Db.HashGetAllAsync(day);
        for (var n = 0; n < 20; n++)
        {
            Assert.Equal("hana", await device.GetStringAsync("/whoami"));
        }

        var after = await redis.Db.HashGetAllAsync(day);
        Assert.Equal(before.OrderBy(static e => (string?)e.Name).Select(static e => $"{e.Name}={e.Value}"), after.OrderBy(static e => (string?)e.Name).Select(static e => $"{e.Name}={e.Value}"));
        Assert.Equal(1, (long)await redis.Db.HashGetAsync(day, "created"));
        var ttl = await redis.Db.KeyTimeToLiveAsync(day);
        Assert.InRange(ttl!.Value, TimeSpan.FromDays(8) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(8));
        Assert.False(await redis.Db.KeyExistsAsync(Tessera.Analytics.AnalyticsLayout.StreamKey(prefix)));
    }

    [Theory]
    [InlineData("/admin/sessions/users?user=%01bad")]
    [InlineData("/admin/sessions/users?user=LONG")]
    public async Task Get_BadQuery_Is400WithAMessage(string path)
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        using var client = app.Client();
        using var response = await client.GetAsync(path.Replace("LONG", new string('u', 513), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("A user id is 1 to 512 characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("step=bogus", "Start with a dry run")]
    [InlineData("step=apply&action=burn&confirm=yes", "Choose what to do")]
    [InlineData("step=apply&action=expire&ttl=forever&confirm=yes", "The TTL must be")]
    [InlineData("step=apply&action=expire&ttl=401d&confirm=yes", "The TTL must be")]
    [InlineData("step=apply&action=delete", "tick the confirmation")]
    public async Task Cleanup_BadForm_Is400AndChangesNothing(string form, string message)
    {
        var prefix = redis.PrefixFor();
        await redis.Db.HashSetAsync(prefix + Tessera.Cli.Tests.Seeder.IdOf(1), [new("#c", 1), new("#a", 1), new("#i", 60000), new("#d", 1), new("#s", 0)]);
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix);
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/cleanup");
        var fields = form.Split('&').Select(static f => f.Split('=')).Select(static f => new KeyValuePair<string, string>(f[0], f[1])).Append(token);
        using var response = await client.PostAsync("/admin/sessions/cleanup", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(await redis.Db.KeyExistsAsync(prefix + Tessera.Cli.Tests.Seeder.IdOf(1)));
        Assert.Null(await redis.Db.KeyTimeToLiveAsync(prefix + Tessera.Cli.Tests.Seeder.IdOf(1)));
    }

    [Fact]
    public async Task Cleanup_AfterEveryoneIsRevoked_TheDryRunCountsTheDeadSessions_AndApplyDeletesThem()
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        await SignInAsync(app, "hana");
        await app.Store.Users.RevokeEverythingAsync();
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/cleanup");

        using (var dry = await client.PostAsync("/admin/sessions/cleanup", new FormUrlEncodedContent([token, new("step", "dry-run")])))
        {
            var html = await dry.Content.ReadAsStringAsync();
            Assert.Matches("data-figure=\"revoked\"><strong>[1-9]", html);
            Assert.Contains("applying deletes them", html, StringComparison.Ordinal);
        }

        using (var apply = await client.PostAsync("/admin/sessions/cleanup", new FormUrlEncodedContent([token, new("step", "apply"), new("action", "delete"), new("confirm", "yes")])))
        {
            var html = await apply.Content.ReadAsStringAsync();
            var deleted = Regex.Match(html, "Deleted <strong>([0-9]+)</strong> of ([0-9]+)");
            Assert.True(deleted.Success, html);
            Assert.Equal(deleted.Groups[2].Value, deleted.Groups[1].Value);
            Assert.NotEqual("0", deleted.Groups[1].Value);
        }

        using var again = await client.PostAsync("/admin/sessions/cleanup", new FormUrlEncodedContent([token, new("step", "dry-run")]));
        Assert.Contains("data-figure=\"revoked\"><strong>0</strong>", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("session=zzzzzzzz")]
    [InlineData("session=")]
    public async Task Revoke_BadSessionTag_Is400(string field)
    {
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, redis.PrefixFor());
        using var client = app.Client();
        var token = await TokenAsync(client, "/admin/sessions/cleanup");
        using var response = await client.PostAsync("/admin/sessions/users/revoke", new FormUrlEncodedContent([token, new("user", "x"), new(field.Split('=')[0], field.Split('=')[1])]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("8-hex-digit tag", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NoAuthorizationPolicy_RefusesToStartWithAClearMessage()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => StartBareAsync(Environments.Production, anonymous: false));
        Assert.Contains("has no authorization", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RequireAuthorization", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AnonymousOptInOutsideDevelopment_RefusesToStart()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => StartBareAsync(Environments.Staging, anonymous: true));
        Assert.Contains("not Development", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AnonymousOptInInDevelopment_Serves()
    {
        await using var app = await StartBareAsync(Environments.Development, anonymous: true);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var response = await client.GetAsync("/ops");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<WebApplication> StartBareAsync(string environment, bool anonymous)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment, Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddTessera(o => { o.Configuration = redis.Endpoint; o.KeyPrefix = redis.PrefixFor(); });
        builder.Services.AddTesseraDashboard(o => o.AllowAnonymousInDevelopment = anonymous);
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthorization();
        app.MapTesseraDashboard("/ops");
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    private static async Task<HttpClient> SignInAsync(DashboardApp app, string user)
    {
        var client = app.Client(asOperator: false);
        Assert.Equal("signed in as " + user, await client.GetStringAsync("/signin/" + user));
        return client;
    }

    private static async Task<KeyValuePair<string, string>> TokenAsync(HttpClient client, string page)
    {
        var html = await client.GetStringAsync(page);
        var match = TokenField().Match(html);
        Assert.True(match.Success, "no antiforgery field on " + page);
        return new(match.Groups[1].Value, WebUtility.HtmlDecode(match.Groups[2].Value));
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenField();
}
