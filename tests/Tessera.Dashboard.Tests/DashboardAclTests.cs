using System.Net;
using System.Text.RegularExpressions;
using Tessera.TestUtils;

namespace Tessera.Dashboard.Tests;

/// <summary>
/// deploy/redis-sessions.conf as shipped: the app (with analytics and the event stream) runs through
/// tessera-app and the dashboard through tessera-admin, and Redis refuses neither anything (ACL LOG stays empty).
/// </summary>
public sealed partial class DashboardAclTests
{
    private const string DefaultPassword = "test-default-password";
    private const string AppPassword = "test-app-password";
    private const string OpsPassword = "test-admin-password";

    [Fact]
    public async Task ShippedAclUsers_AppAndDashboard_EveryPageAndActionWorks_NothingRefused()
    {
        using var redis = RedisServerProcess.StartWithConfigFile(Path.Combine(RepositoryRoot(), "deploy", "redis-sessions.conf"), ["--requirepass", DefaultPassword]);
        Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-app", "resetpass", ">" + AppPassword));
        Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-admin", "resetpass", ">" + OpsPassword));

        // Another application's 1,200 keys, so the overview samples (SCAN without MATCH, INFO server) rather than scans.
        Admin(redis, "EVAL", "for n = 1, 1200 do redis.call('SET', 'other-app:' .. n, 'x') end", "0");
        await using var app = await DashboardApp.StartAsync(
            $"{redis.Endpoint},user=tessera-app,password={AppPassword},tiebreaker=,$CONFIG=",
            "session:",
            o =>
            {
                o.AdminConfiguration = $"{redis.Endpoint},user=tessera-admin,password={OpsPassword}";
                o.OverviewSampleKeys = 1_000;
            });
        using var phone = app.Client(asOperator: false);
        using var laptop = app.Client(asOperator: false);
        Assert.Equal("signed in as ada", await phone.GetStringAsync("/signin/ada"));
        Assert.Equal("signed in as ada", await laptop.GetStringAsync("/signin/ada"));

        using var ops = app.Client();
        foreach (var page in new[] { "/admin/sessions", "/admin/sessions/analytics", "/admin/sessions/audit", "/admin/sessions/cleanup" })
        {
            using var response = await ops.GetAsync(page);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{page}: {(int)response.StatusCode} {html}");
            Assert.True(page != "/admin/sessions" || html.Contains("data-basis=\"sample\"", StringComparison.Ordinal), "the overview did not sample");
        }

        var users = await ops.GetStringAsync("/admin/sessions/users?user=ada");
        var token = Token().Match(users);
        var tag = Tag().Match(users).Groups[1].Value;
        using (var revoke = await ops.PostAsync("/admin/sessions/users/revoke", new FormUrlEncodedContent(
            [new(token.Groups[1].Value, WebUtility.HtmlDecode(token.Groups[2].Value)), new("user", "ada"), new("session", tag)])))
        {
            Assert.Equal(HttpStatusCode.SeeOther, revoke.StatusCode);
        }

        using (var dry = await ops.PostAsync("/admin/sessions/cleanup", new FormUrlEncodedContent(
            [new(token.Groups[1].Value, WebUtility.HtmlDecode(token.Groups[2].Value)), new("step", "dry-run")])))
        {
            Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
        }

        var live = await ops.GetStringAsync("/admin/sessions/live");
        Assert.Contains(">Revoked<", live, StringComparison.Ordinal);
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));

        var log = (object?[])Admin(redis, "ACL", "LOG")!;
        Assert.True(log.Length == 0, "refused: " + string.Join("; ", log.OfType<object?[]>().Select(Describe)));
    }

    private static string Describe(object?[] entry)
    {
        string? Field(string name)
        {
            for (var i = 0; i + 1 < entry.Length; i += 2)
            {
                if (entry[i] as string == name)
                {
                    return entry[i + 1] as string;
                }
            }

            return null;
        }

        return $"{Field("username")}: {Field("reason")} {Field("object")}";
    }

    private static object? Admin(RedisServerProcess redis, params string[] command) =>
        RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), [DefaultPassword], command);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Tessera.slnx above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex Token();

    [GeneratedRegex("data-session=\"([0-9a-f]{8})\"")]
    private static partial Regex Tag();
}
