using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// <c>AddTesseraTempData()</c> with MVC on a real pipeline and redis-server: the post-redirect-get
/// message is shown once, and when requests race for it, by exactly one of them.
/// </summary>
public sealed class TempDataTests(RedisFixture redis)
{
    private const string Cookie = TesseraSessionOptions.DefaultCookieName;

    private Task<TestApp> StartAsync(TimeSpan? lifetime = null, TimeProvider? clock = null) => TestApp.StartAsync(
        redis.Endpoint,
        redis.PrefixFor(),
        services: s => WithClock(s, clock).AddControllersWithViews()
            .ConfigureApplicationPartManager(m =>
            {
                // Only this test's controller, whatever else the test assembly holds.
                m.ApplicationParts.Clear();
                m.ApplicationParts.Add(new AssemblyPart(typeof(TempDataTestController).Assembly));
                foreach (var provider in m.FeatureProviders.OfType<ControllerFeatureProvider>().ToList())
                {
                    m.FeatureProviders.Remove(provider);
                }

                m.FeatureProviders.Add(new OnlyTempDataTestController());
            })
            .AddTempDataProvider(lifetime),
        map: app => app.MapControllers());

    private static IServiceCollection WithClock(IServiceCollection services, TimeProvider? clock)
    {
        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        return services;
    }

    /// <summary>Posts a message and follows the redirect by hand: the message is set, and the redirect's target not yet fetched.</summary>
    private static async Task<string> SetAsync(CookieClient client, string message)
    {
        using var response = await client.PostAsync($"/flash/set?msg={message}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.OriginalString;
    }

    [Fact]
    public async Task AMessage_SetBeforeARedirect_IsShownByTheNextRequest_AndNeverAgain()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        var location = await SetAsync(client, "saved");
        Assert.Equal("/flash/show", location);
        Assert.NotNull(client.Cookie(Cookie));

        Assert.Equal((HttpStatusCode.OK, "saved"), await client.GetTextAsync(location));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync(location));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync(location));
    }

    [Fact]
    public async Task ARequestThatNeverLooksAtTempData_LeavesTheMessageForTheOneThatDoes()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await SetAsync(client, "later");
        Assert.Equal((HttpStatusCode.OK, "other"), await client.GetTextAsync("/flash/other"));
        Assert.Equal((HttpStatusCode.OK, "later"), await client.GetTextAsync("/flash/show"));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync("/flash/show"));
    }

    [Fact]
    public async Task APeekedMessage_IsKept_UntilARequestReadsIt()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await SetAsync(client, "kept");
        Assert.Equal((HttpStatusCode.OK, "kept"), await client.GetTextAsync("/flash/peek"));
        Assert.Equal((HttpStatusCode.OK, "kept"), await client.GetTextAsync("/flash/peek"));
        Assert.Equal((HttpStatusCode.OK, "kept"), await client.GetTextAsync("/flash/show"));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync("/flash/show"));
    }

    [Fact]
    public async Task AMessage_ReadWithOthersUnread_LeavesTheOthersForTheNextRequest()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using (var response = await client.PostAsync("/flash/set-two"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        Assert.Equal((HttpStatusCode.OK, "first"), await client.GetTextAsync("/flash/show"));
        Assert.Equal((HttpStatusCode.OK, "second"), await client.GetTextAsync("/flash/show?key=other"));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync("/flash/show?key=other"));
    }

    [Fact]
    public async Task WithALifetime_AMessageNotShownInTime_IsNeverShown()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await StartAsync(TimeSpan.FromMinutes(10), clock);
        using var client = app.CreateClient();
        var location = await SetAsync(client, "in-time");
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal((HttpStatusCode.OK, "in-time"), await client.GetTextAsync(location));

        await SetAsync(client, "too-late");
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync(location));
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync(location));
    }

    [Fact]
    public async Task ANewVisitor_WithNoTempData_GetsNoSession()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "(none)"), await client.GetTextAsync("/flash/show"));
        Assert.Null(client.Cookie(Cookie));
    }

    [Theory]
    [InlineData(2, 40)]
    [InlineData(10, 30)]
    public async Task RequestsRacingForOneMessage_ExactlyOneShowsIt_EveryRound(int racers, int rounds)
    {
        await using var app = await StartAsync();
        var doubles = 0;
        var lost = 0;
        for (var round = 0; round < rounds; round++)
        {
            using var owner = app.CreateClient();
            var location = await SetAsync(owner, $"m{round}");
            var cookie = owner.Cookie(Cookie)!;
            var tabs = Enumerable.Range(0, racers).Select(_ =>
            {
                var c = app.CreateClient();
                c.SetCookie(Cookie, cookie);
                return c;
            }).ToArray();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var races = tabs.Select(async c =>
            {
                await gate.Task;
                return await c.GetTextAsync(location);
            }).ToArray();
            gate.SetResult();
            var replies = await Task.WhenAll(races);
            Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.Status));
            var shown = replies.Count(r => r.Body == $"m{round}");
            Assert.All(replies, r => Assert.True(r.Body == $"m{round}" || r.Body == "(none)", r.Body));
            if (shown > 1)
            {
                doubles++;
            }
            else if (shown == 0)
            {
                lost++;
            }

            foreach (var c in tabs)
            {
                c.Dispose();
            }
        }

        Assert.Equal(0, doubles);
        Assert.Equal(0, lost);
    }

    private sealed class OnlyTempDataTestController : ControllerFeatureProvider
    {
        protected override bool IsController(TypeInfo typeInfo) => typeInfo.AsType() == typeof(TempDataTestController);
    }
}

/// <summary>The MVC controller of <see cref="TempDataTests"/>: post, redirect, show.</summary>
[Route("flash")]
public sealed class TempDataTestController : Controller
{
    [HttpPost("set")]
    public IActionResult Set(string msg)
    {
        TempData["msg"] = msg;
        return RedirectToAction(nameof(Show));
    }

    [HttpPost("set-two")]
    public IActionResult SetTwo()
    {
        TempData["msg"] = "first";
        TempData["other"] = "second";
        return RedirectToAction(nameof(Show));
    }

    [HttpGet("show")]
    public IActionResult Show(string key = "msg") => Content(TempData[key] as string ?? "(none)");

    [HttpGet("peek")]
    public IActionResult Peek() => Content(TempData.Peek("msg") as string ?? "(none)");

    [HttpGet("other")]
    public IActionResult Other() => Content("other");
}

/// <summary>The provider with or without a lifetime, for <see cref="TempDataTests"/>.</summary>
internal static class TempDataTestBuilder
{
    public static IMvcBuilder AddTempDataProvider(this IMvcBuilder builder, TimeSpan? lifetime) =>
        lifetime is { } l ? builder.AddTesseraTempData(l) : builder.AddTesseraTempData();
}
