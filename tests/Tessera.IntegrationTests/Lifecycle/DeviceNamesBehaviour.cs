using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Device names, sign-in methods, labels and new-device events (issue 27, item 5), over HTTP: a name and
/// a method round-trip through the devices API, only a device's own user names it, a hostile name is
/// stored cleaned, and a browser new to a user raises <see cref="TesseraEventKind.NewDevice"/> once, per
/// user, whatever device cookie it presents.
/// </summary>
public abstract class DeviceNamesBehaviour(ServerFixture server)
{
    private const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    private const string SafariOnIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    private const string DeviceCookie = NewDeviceOptions.CookieName;

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAsync(ConcurrentQueue<TesseraEvent>? events = null, bool tickets = false, [System.Runtime.CompilerServices.CallerMemberName] string caller = "") => TestApp.StartAsync(
        Server.Endpoint,
        Server.PrefixFor(caller),
        o => o.NewDevices.Enabled = events is not null,
        services: s =>
        {
            if (tickets)
            {
                CookieLogins.Add(s);
            }

            if (events is not null)
            {
                s.AddSingleton<ITesseraObserver>(new Recorder(events));
            }
        },
        map: app =>
        {
            if (tickets)
            {
                CookieLogins.Map(app);
                app.MapPost("/auth/login-with", async (HttpContext ctx, string user, string method) =>
                {
                    var claims = new[] { new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user) };
                    var properties = new AuthenticationProperties();
                    properties.Items[TesseraAuthenticationOptions.SignInMethodItem] = method;
                    await ctx.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)), properties);
                    return Results.Text("ok");
                });
            }

            if (tickets)
            {
                app.MapPost("/auth/login-amr", async (HttpContext ctx, string user, string amr) =>
                {
                    var claims = new[] { new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user), new Claim("amr", amr) };
                    await ctx.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
                    return Results.Text("ok");
                });
            }

            app.MapPost("/signin-with", async (HttpContext ctx, string user, string method) =>
            {
                await ctx.Session.AsTessera().SignInWithAsync(user, method);
                return Results.Text("signed in");
            });
            app.MapGet("/my/devices", async (HttpContext ctx) =>
            {
                var devices = await ctx.Session.AsTessera().GetUserSessionsAsync();
                return Results.Json(devices.Select(d => new DeviceRow(d.Handle, d.IsCurrent, d.Metadata.DeviceName, d.Metadata.SignInMethod, d.Metadata.DeviceLabel, [.. d.LinkedHandles])));
            });
            app.MapPost("/my/devices/name", async (HttpContext ctx, string handle, string? name) =>
                await ctx.Session.AsTessera().NameDeviceAsync(handle, name) ? Results.Text("named") : Results.Text("not yours", statusCode: 404));
        });

    private static CookieClient Browser(TestApp app, string userAgent)
    {
        var client = app.CreateClient();
        client.Http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return client;
    }

    private static async Task<DeviceRow[]> DevicesAsync(CookieClient client)
    {
        var response = await client.GetAsync("/my/devices");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<DeviceRow[]>(response.Content))!;
    }

    [Fact]
    public async Task NameAndSignInMethod_RoundTripThroughTheDevicesApi_AndSurviveRotation()
    {
        await using var app = await StartAsync();
        using var laptop = Browser(app, ChromeOnWindows);
        Assert.Equal((HttpStatusCode.OK, "signed in"), await laptop.PostTextAsync("/signin-with?user=ada&method=passkey"));

        var device = Assert.Single(await DevicesAsync(laptop));
        Assert.Equal(("passkey", "Chrome on Windows", (string?)null), (device.Method, device.Label, device.Name));

        Assert.Equal((HttpStatusCode.OK, "named"), await laptop.PostTextAsync($"/my/devices/name?handle={device.Handle}&name={Uri.EscapeDataString("Work laptop")}"));
        Assert.Equal((HttpStatusCode.OK, "rotated"), await laptop.PostTextAsync("/rotate"));

        device = Assert.Single(await DevicesAsync(laptop));
        Assert.Equal(("Work laptop", "passkey", "Chrome on Windows"), (device.Name, device.Method, device.Label));
        var listed = Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));
        Assert.Equal(("Work laptop", "passkey"), (listed.Metadata.DeviceName, listed.Metadata.SignInMethod));

        // Null removes the name.
        Assert.True(await app.Store.Users.NameDeviceAsync("ada", listed.Handle, null));
        Assert.Null(Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada")).Metadata.DeviceName);
    }

    [Fact]
    public async Task ACookieLogin_RecordsItsMethod_AndIsNamedThroughItsLoginOrItsLinkedSession()
    {
        await using var app = await StartAsync(tickets: true);
        using var phone = Browser(app, SafariOnIPhone);
        Assert.Equal((HttpStatusCode.OK, "ok"), await phone.PostTextAsync("/auth/login-with?user=grace&method=google"));

        var device = Assert.Single(await DevicesAsync(phone));
        Assert.Equal(("google", "Safari on iPhone"), (device.Method, device.Label));
        var linked = Assert.Single(device.Linked);

        // Named by the session's handle: the name goes on the device (its login), where every list reads it.
        Assert.Equal((HttpStatusCode.OK, "named"), await phone.PostTextAsync($"/my/devices/name?handle={linked}&name=Phone"));
        Assert.Equal("Phone", Assert.Single(await DevicesAsync(phone)).Name);
        Assert.Equal((HttpStatusCode.OK, "named"), await phone.PostTextAsync($"/my/devices/name?handle={device.Handle}&name=My%20phone"));
        Assert.Equal(("My phone", "google"), (Assert.Single(await DevicesAsync(phone)).Name, Assert.Single(await DevicesAsync(phone)).Method));
    }

    [Fact]
    public async Task NamingAnotherUsersDevice_IsRefused_AndChangesNothing()
    {
        await using var app = await StartAsync();
        using var hedy = Browser(app, ChromeOnWindows);
        await hedy.PostTextAsync("/signin-with?user=hedy&method=password");
        var handle = Assert.Single(await DevicesAsync(hedy)).Handle;
        await hedy.PostTextAsync($"/my/devices/name?handle={handle}&name=Mine");

        using var mallory = Browser(app, ChromeOnWindows);
        await mallory.PostTextAsync("/signin-with?user=mallory&method=password");

        // The handle (seen in a screenshot, a log, a support ticket) names nothing for another user.
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.PostTextAsync($"/my/devices/name?handle={handle}&name=Pwned")).Status);
        Assert.False(await app.Store.Users.NameDeviceAsync("mallory", handle, "Pwned"));
        // Nor for a visitor who is signed in as nobody, nor with a handle that is no handle.
        using var stranger = Browser(app, ChromeOnWindows);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostTextAsync($"/my/devices/name?handle={handle}&name=Pwned")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.PostTextAsync("/my/devices/name?handle=not-a-handle&name=x")).Status);

        Assert.Equal("Mine", Assert.Single(await DevicesAsync(hedy)).Name);
    }

    [Fact]
    public async Task AHostileName_IsStoredCleaned()
    {
        await using var app = await StartAsync();
        using var browser = Browser(app, ChromeOnWindows);
        await browser.PostTextAsync("/signin-with?user=eve&method=" + Uri.EscapeDataString("pass\u001b[2Jword"));
        var handle = Assert.Single(await DevicesAsync(browser)).Handle;
        var hostile = "\u001b]0;owned\u0007\u001b[31mLaptop\u202E\u2066<script>alert(1)</script>\u0085" + new string('a', 500);

        Assert.Equal((HttpStatusCode.OK, "named"), await browser.PostTextAsync($"/my/devices/name?handle={handle}&name={Uri.EscapeDataString(hostile)}"));

        var stored = (string?)await Server.Db.HashGetAsync(app.Store.KeyForHandle(handle), "#n");
        Assert.NotNull(stored);
        Assert.True(stored!.Length <= DeviceText.MaxNameLength);
        Assert.DoesNotContain(stored, TerminalText.IsUnsafe);
        Assert.StartsWith("]0;owned[31mLaptop<script>", stored, StringComparison.Ordinal);
        Assert.Equal("pass[2Jword", (string?)await Server.Db.HashGetAsync(app.Store.KeyForHandle(handle), "#m"));
    }

    [Fact]
    public async Task NewDevice_IsRaisedOnAUsersFirstSignInFromABrowser_NotOnTheSecond_AndAgainForAnotherBrowser()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAsync(events);
        using var laptop = Browser(app, ChromeOnWindows);

        await laptop.PostTextAsync("/signin?user=ada");
        var first = Assert.Single(NewDevices(events));
        var session = laptop.Cookie("__Host-Tessera")!;
        var deviceCookie = laptop.Cookie(DeviceCookie);
        Assert.True(SessionIds.IsValid(deviceCookie));
        Assert.Equal(("ada", SessionIds.Handle(session), SessionIds.LogTag(session), "Chrome on Windows"), (first.UserId, first.Handle, first.SessionTag, first.DeviceLabel));
        var device = Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));
        Assert.Equal(device.Metadata.ClientIp, first.ClientIp);
        // Neither the session id nor the device cookie is ever in an event, nor in Redis.
        Assert.DoesNotContain(new[] { first.Handle, first.SessionTag, first.UserId, first.Detail, first.ClientIp, first.DeviceLabel }, v => v == session || v == deviceCookie);
        foreach (var key in Server.Multiplexer.GetServers()[0].Keys(pattern: app.Store.Options.KeyPrefix + "known:*"))
        {
            Assert.DoesNotContain((await Server.Db.SortedSetRangeByRankAsync(key)).Select(static m => (string?)m), m => m == deviceCookie);
        }

        // The same browser signing in again (a logout in between, or a re-sign-in) is known.
        await laptop.PostTextAsync("/logout");
        await laptop.PostTextAsync("/signin?user=ada");
        await laptop.PostTextAsync("/signin?user=ada");
        Assert.Single(NewDevices(events));
        Assert.Equal(deviceCookie, laptop.Cookie(DeviceCookie));

        using var phone = Browser(app, SafariOnIPhone);
        await phone.PostTextAsync("/signin?user=ada");
        Assert.Equal(2, NewDevices(events).Count);
        Assert.Equal("Safari on iPhone", NewDevices(events)[1].DeviceLabel);
        Assert.NotEqual(deviceCookie, phone.Cookie(DeviceCookie));
    }

    [Fact]
    public async Task NewDevice_IsPerUser_ABrowserKnownToOneUserIsNewToAnother()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAsync(events);
        using var shared = Browser(app, ChromeOnWindows);
        await shared.PostTextAsync("/signin?user=alice");
        await shared.PostTextAsync("/signin?user=bob");
        Assert.Equal(["alice", "bob"], NewDevices(events).Select(static e => e.UserId));

        // Back to alice on the same browser: known to her.
        await shared.PostTextAsync("/signin?user=alice");
        Assert.Equal(2, NewDevices(events).Count);
    }

    [Fact]
    public async Task NewDevice_AForgedOrForeignDeviceCookie_NeverSuppressesTheEvent_AndABadOneIsNo500()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAsync(events);
        using var victim = Browser(app, ChromeOnWindows);
        await victim.PostTextAsync("/signin?user=victim");
        using var attacker = Browser(app, ChromeOnWindows);
        await attacker.PostTextAsync("/signin?user=attacker");
        var attackersCookie = attacker.Cookie(DeviceCookie)!;
        Assert.Equal(2, NewDevices(events).Count);

        // The attacker's own (known) device cookie, planted in a browser that signs in as the victim:
        // known to the attacker, new to the victim.
        using var planted = Browser(app, ChromeOnWindows);
        planted.SetCookie(DeviceCookie, attackersCookie);
        Assert.Equal((HttpStatusCode.OK, "signed in"), await planted.PostTextAsync("/signin?user=victim"));
        Assert.Equal(("victim", 3), (NewDevices(events)[^1].UserId, NewDevices(events).Count));

        // A made-up cookie of the right form, and cookies of the wrong form: each a new device, never an error.
        string[] forged = [SessionIds.NewId(), "x", new string('A', 43), new string('z', 4000), "%00%1b", SessionIds.Handle(victim.Cookie("__Host-Tessera")!)];
        foreach (var value in forged)
        {
            using var browser = Browser(app, ChromeOnWindows);
            browser.SetCookie(DeviceCookie, value);
            Assert.Equal((HttpStatusCode.OK, "signed in"), await browser.PostTextAsync("/signin?user=victim"));
        }

        Assert.Equal(3 + forged.Length, NewDevices(events).Count);
    }

    [Fact]
    public async Task NewDevice_ACookieLogin_IsReportedOnceForItsBrowser_WithTheAmrClaimAsItsMethod()
    {
        var events = new ConcurrentQueue<TesseraEvent>();
        await using var app = await StartAsync(events, tickets: true);
        using var phone = Browser(app, SafariOnIPhone);
        Assert.Equal((HttpStatusCode.OK, "ok"), await phone.PostTextAsync("/auth/login-amr?user=lin&amr=otp"));

        var reported = Assert.Single(NewDevices(events));
        var device = Assert.Single(await DevicesAsync(phone));
        Assert.Equal(("otp", "Safari on iPhone"), (device.Method, reported.DeviceLabel));
        // The event names the session the browser signed in with: one of the device's linked handles.
        Assert.Contains(reported.Handle, device.Linked);

        // Logged out and in again on the same browser: a new login, not a new device.
        Assert.Equal((HttpStatusCode.OK, "ok"), await phone.PostTextAsync("/auth/logout"));
        Assert.Equal((HttpStatusCode.OK, "ok"), await phone.PostTextAsync("/auth/login-amr?user=lin&amr=otp"));
        Assert.Single(NewDevices(events));
    }

    [Fact]
    public async Task KnownDevices_AreBoundedPerUser_AndExpireWithTheirLatestBrowser()
    {
        var store = Server.CreateStore();
        var cookies = Enumerable.Range(0, SessionUsers.MaxKnownDevices + 5).Select(_ => SessionIds.NewId()).ToList();
        foreach (var cookie in cookies)
        {
            Assert.True(await store.Users.SeenDeviceAsync("bounded", cookie, TimeSpan.FromHours(1), CancellationToken.None));
        }

        var key = Tessera.Internal.SessionLayout.KnownDevicesKey(store.Options.KeyPrefix, "bounded");
        Assert.Equal(SessionUsers.MaxKnownDevices, await Server.Db.SortedSetLengthAsync(key));
        Assert.InRange((await Server.Db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        // The latest is kept (the soonest forgotten go); a key of another type is a new device, never an error.
        Assert.False(await store.Users.SeenDeviceAsync("bounded", cookies[^1], TimeSpan.FromHours(1), CancellationToken.None));
        await Server.Db.StringSetAsync(Tessera.Internal.SessionLayout.KnownDevicesKey(store.Options.KeyPrefix, "squatted"), "x");
        Assert.True(await store.Users.SeenDeviceAsync("squatted", cookies[0], TimeSpan.FromHours(1), CancellationToken.None));
    }

    private static List<TesseraEvent> NewDevices(ConcurrentQueue<TesseraEvent> events) =>
        [.. events.Where(static e => e.Kind == TesseraEventKind.NewDevice)];

    private sealed record DeviceRow(string Handle, bool Current, string? Name, string? Method, string Label, string[] Linked);

    private sealed class Recorder(ConcurrentQueue<TesseraEvent> events) : ITesseraObserver
    {
        public void OnEvent(in TesseraEvent sessionEvent) => events.Enqueue(sessionEvent);
    }
}

public sealed class RedisDeviceNamesTests(RedisFixture server) : DeviceNamesBehaviour(server);

public sealed class GarnetDeviceNamesTests(GarnetFixture server) : DeviceNamesBehaviour(server);
