using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// <see cref="ITesseraSession.Set(string, byte[], TimeSpan)"/> in requests: a value with its own lifetime is
/// read until its deadline and never after (not by a read, the keys, nor a take), in the request that set it
/// too, and a rotation carries it. The app's clock is a <see cref="FakeTimeProvider"/> the tests move.
/// </summary>
public sealed class ValueLifetimeRequestTests(RedisFixture redis)
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private Task<TestApp> StartAsync() =>
        TestApp.StartAsync(redis.Endpoint, redis.PrefixFor(), map: Map, services: s => s.AddSingleton<TimeProvider>(_clock));

    private static void Map(WebApplication app)
    {
        app.MapPost("/set-for", (HttpContext ctx, string k, string v, int seconds) =>
        {
            ctx.Session.AsTessera().SetString(k, v, TimeSpan.FromSeconds(seconds));
            return Results.Text("set");
        });
        app.MapPost("/take", async (HttpContext ctx, string k) =>
            await ctx.Session.AsTessera().TakeStringAsync(k) is { } v ? Results.Text(v) : Results.NotFound());
        app.MapPost("/set-for-read", (HttpContext ctx, string k) =>
        {
            var s = ctx.Session.AsTessera();
            s.SetString(k, "now", TimeSpan.FromSeconds(60));
            return Results.Text($"{s.GetString(k)}|{string.Join(",", s.Keys)}");
        });
    }

    [Fact]
    public async Task AValueWithALifetime_IsReadUntilItsDeadline_ThenIsGoneForReadsKeysAndTakes()
    {
        await using var app = await StartAsync();
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=name&v=ada")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set-for?k=code&v=123456&seconds=60")).Status);

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal((HttpStatusCode.OK, "123456"), await client.GetTextAsync("/get?k=code"));
        Assert.Equal((HttpStatusCode.OK, "code,name"), await client.GetTextAsync("/keys"));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=code")).Status);
        Assert.Equal((HttpStatusCode.OK, "name"), await client.GetTextAsync("/keys"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostTextAsync("/take?k=code")).Status);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/get?k=name"));
    }

    [Fact]
    public async Task SetAgainWithoutALifetime_TheValueStays()
    {
        await using var app = await StartAsync();
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set-for?k=code&v=1&seconds=60")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=code&v=1")).Status);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=code"));
    }

    [Fact]
    public async Task TheRequestThatSetsIt_ReadsIt_AndARotationCarriesItsDeadline()
    {
        await using var app = await StartAsync();
        var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "now|code"), await client.PostTextAsync("/set-for-read?k=code"));
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/rotate")).Status);
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal((HttpStatusCode.OK, "now"), await client.GetTextAsync("/get?k=code"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=code")).Status);
    }
}
