using Tessera.Tests.Browser;
using Microsoft.Playwright;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.Cli.Tests;

namespace Tessera.Dashboard.Tests;

/// <summary>The dashboard in headless Chromium against a real redis-server, as an operator uses it.</summary>
public sealed class DashboardBrowserTests(RedisFixture redis, BrowserFixture browser)
{
    private static readonly Lazy<string> ImageDirectory = new(FindImageDirectory);

    [Fact]
    public async Task Overview_SeededSessions_ShowsWhatTesseraStatsComputes()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 300, users: 30);
        for (var n = 0; n < 5; n++)
        {
            await redis.Db.KeyPersistAsync(prefix + Seeder.IdOf(n));
        }

        await redis.Db.HashSetAsync(prefix + Seeder.IdOf(100_000), "#r", Seeder.IdOf(100_001));
        await redis.Db.KeyExpireAsync(prefix + Seeder.IdOf(100_000), TimeSpan.FromMinutes(5));
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix);
        await SignInAsync(app, "alice", "device-A");

        // What `tessera stats` computes: the same SessionAdmin over the same data.
        var expected = await new SessionAdmin(new SessionKeyspace(redis.Multiplexer, prefix)).CollectStatsAsync();

        var page = await OperatorPageAsync(app);
        await page.GotoAsync(new Uri(app.Url, "/admin/sessions").ToString());
        Assert.Equal("Overview", await page.Locator("h1").TextContentAsync());
        Assert.Equal(expected.Sessions, await FigureAsync(page, "sessions"));
        Assert.Equal(expected.DistinctUsers, await FigureAsync(page, "users"));
        Assert.Equal(expected.Tombstones, await FigureAsync(page, "tombstones"));
        Assert.Equal(expected.TtlLess, await FigureAsync(page, "ttl-less"));
        Assert.Equal(301, expected.Sessions);
        Assert.Equal(5, expected.TtlLess);
        Assert.Equal(1, expected.Tombstones);
        foreach (var (name, value) in new[] { ("p50", expected.Sizes.P50), ("p90", expected.Sizes.P90), ("p99", expected.Sizes.P99), ("max", expected.Sizes.Max) })
        {
            Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.Locator($"[data-size={name}]").TextContentAsync());
        }

        var ttlCells = await page.Locator("table[data-table=ttl] td[data-value]").AllAsync();
        Assert.Equal(expected.TtlHistogram.Select(static b => b.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)), await Task.WhenAll(ttlCells.Select(static c => c.GetAttributeAsync("data-value")!)));
        Assert.Equal(5, await page.Locator("table[data-table=largest] tbody tr").CountAsync());
        Assert.Equal(5, await page.Locator("svg.chart[role=img]").CountAsync());
        await ScreenshotAsync(page, "dashboard-overview");
    }

    [Fact]
    public async Task UserPage_RevokeOneDevice_ThatDeviceIsANewVisitor_TheOtherStaysSignedIn()
    {
        var prefix = redis.PrefixFor();
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix);
        var (deviceA, pageA) = await SignInAsync(app, "bob", "device-A Firefox");
        var (deviceB, pageB) = await SignInAsync(app, "bob", "device-B Safari");

        var page = await OperatorPageAsync(app);
        await page.GotoAsync(new Uri(app.Url, "/admin/sessions/users").ToString());
        await page.GetByLabel("User id").FillAsync("bob");
        await page.GetByRole(AriaRole.Button, new() { Name = "Find sessions" }).ClickAsync();
        var rows = page.Locator("table[data-table=devices] tbody tr");
        // The click submits a form: wait for the result page's rows rather than count the old page's.
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        var html = await page.ContentAsync();
        foreach (var session in await app.Store.Users.GetUserSessionsAsync("bob"))
        {
            Assert.DoesNotContain(session.Handle, html, StringComparison.Ordinal);
        }

        await ScreenshotAsync(page, "dashboard-user");
        var rowB = rows.Filter(new() { HasText = "device-B Safari" });
        await rowB.GetByRole(AriaRole.Button).ClickAsync();
        // Any outcome of the revoke, then which: a miss ("m=gone") says so instead of timing out.
        await page.WaitForURLAsync("**/users?user=bob&m=*");
        Assert.EndsWith("m=revoked", page.Url, StringComparison.Ordinal);
        Assert.Contains("revoked", await page.Locator(".notice").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await rows.CountAsync());

        await pageB.GotoAsync(new Uri(app.Url, "/whoami").ToString());
        Assert.Equal("new visitor", await pageB.Locator("body").InnerTextAsync());
        await pageA.GotoAsync(new Uri(app.Url, "/whoami").ToString());
        Assert.Equal("bob", await pageA.Locator("body").InnerTextAsync());
        await deviceA.DisposeAsync();
        await deviceB.DisposeAsync();
    }

    [Fact]
    public async Task Cleanup_DryRunThenConfirmedApply_GivesEveryTtlLessSessionATtl()
    {
        var prefix = redis.PrefixFor();
        await Seeder.SeedAsync(redis.Db, prefix, 50, users: 5);
        for (var n = 0; n < 7; n++)
        {
            await redis.Db.KeyPersistAsync(prefix + Seeder.IdOf(n));
        }

        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix);
        var page = await OperatorPageAsync(app);
        await page.GotoAsync(new Uri(app.Url, "/admin/sessions/cleanup").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run: find TTL-less sessions" }).ClickAsync();
        Assert.Equal("Cleanup: dry run", await page.Locator("h1").TextContentAsync());
        Assert.StartsWith("7 TTL-less", await page.Locator("[data-figure=found]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(7, await page.Locator("table[data-table=ttl-less] tbody tr").CountAsync());
        Assert.Null(await redis.Db.KeyTimeToLiveAsync(prefix + Seeder.IdOf(0)));
        await ScreenshotAsync(page, "dashboard-cleanup-dry-run");

        await page.GetByLabel("TTL", new() { Exact = true }).FillAsync("2h");
        await page.GetByLabel("I have reviewed the dry run").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        Assert.Equal("Cleanup: applied", await page.Locator("h1").TextContentAsync());
        Assert.StartsWith("7 of 7", await page.Locator(".notice").InnerTextAsync(), StringComparison.Ordinal);

        var ttl = await redis.Db.KeyTimeToLiveAsync(prefix + Seeder.IdOf(0));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(119), TimeSpan.FromHours(2));
        var after = await new SessionAdmin(new SessionKeyspace(redis.Multiplexer, prefix)).CollectStatsAsync();
        Assert.Equal(0, after.TtlLess);
        Assert.Equal(50, after.Sessions);
    }

    [Fact]
    public async Task AuditAnalyticsLive_AfterSignIns_ShowFindingsCountsAndEvents()
    {
        var prefix = redis.PrefixFor();
        await using var app = await DashboardApp.StartAsync(redis.Endpoint, prefix);
        await SignInAsync(app, "carol", "device-C");
        await SignInAsync(app, "dave", "device-D");

        var page = await OperatorPageAsync(app);
        await page.GotoAsync(new Uri(app.Url, "/admin/sessions/audit").ToString());
        Assert.True(await page.Locator("tr[data-check=maxmemory-policy]").CountAsync() >= 1);
        Assert.Equal(0, await page.Locator("tr[data-check=config]").CountAsync()); // the admin connection may run CONFIG GET
        await ScreenshotAsync(page, "dashboard-audit");

        var today = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(async () =>
        {
            await page.GotoAsync(new Uri(app.Url, "/admin/sessions/analytics").ToString());
            // Counters and events reach Redis asynchronously (batched): wait for both counters.
            return await page.Locator($"tr[data-day='{today}'] td[data-counter=login]").InnerTextAsync() == "2"
                && await page.Locator($"tr[data-day='{today}'] td[data-counter=created]").InnerTextAsync() == "2";
        }, TimeSpan.FromSeconds(10));
        await ScreenshotAsync(page, "dashboard-analytics");

        var events = page.Locator("table[data-table=events] tbody tr");
        await Eventually.TrueAsync(async () =>
        {
            await page.GotoAsync(new Uri(app.Url, "/admin/sessions/live").ToString());
            return await events.CountAsync() >= 2;
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(2, await events.CountAsync());
        Assert.Contains("dave", await events.First.InnerTextAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "dashboard-live");
    }

    private async Task<(IBrowserContext Context, IPage Page)> SignInAsync(DashboardApp app, string user, string userAgent)
    {
        var context = await browser.NewContextAsync(userAgent);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Url, "/signin/" + user).ToString());
        Assert.Equal("signed in as " + user, await page.Locator("body").InnerTextAsync());
        return (context, page);
    }

    private async Task<IPage> OperatorPageAsync(DashboardApp app)
    {
        var context = await browser.NewContextAsync("operator browser");
        await context.AddCookiesAsync([new Cookie { Name = OperatorAuthentication.CookieName, Value = OperatorAuthentication.CookieValue, Url = app.Url.ToString() }]);
        return await context.NewPageAsync();
    }

    private static async Task<long> FigureAsync(IPage page, string name) =>
        long.Parse((await page.Locator($"dd[data-figure={name}]").GetAttributeAsync("data-value"))!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A screenshot in the test output; also into docs/img (the images docs/dashboard.md shows) when
    /// <c>TESSERA_DOCS_IMAGES=1</c>, so an ordinary test run leaves the tracked images alone.
    /// </summary>
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        await BrowserFixture.ScreenshotAsync(page, name);
        if (Environment.GetEnvironmentVariable("TESSERA_DOCS_IMAGES") == "1")
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImageDirectory.Value, name + ".png"), FullPage = true });
        }
    }

    private static string FindImageDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                var images = Path.Combine(dir.FullName, "docs", "img");
                Directory.CreateDirectory(images);
                return images;
            }
        }

        throw new InvalidOperationException("Tessera.slnx not found above " + AppContext.BaseDirectory);
    }
}
