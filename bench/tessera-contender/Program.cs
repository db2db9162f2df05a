// peers-bench contender: the same HTTP contract as contenders/aspnet-builtin, with Tessera instead
// of AddStackExchangeRedisCache + AddSession. Same host builder and logging levels as that template.
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tessera;

var builder = WebApplication.CreateBuilder(args);

var port = Environment.GetEnvironmentVariable("PORT") ?? "18080";
var redis = Environment.GetEnvironmentVariable("REDIS_URL") ?? "127.0.0.1:6390";
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

builder.Services.AddTessera(o =>
{
    o.Configuration = redis;
    o.KeyPrefix = "tessera:";
    o.IdleTimeout = TimeSpan.FromSeconds(1800);
    // The harness speaks plain HTTP on loopback; production keeps the Secure default.
    o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;

    // bench/tessera-contender-nearcache runs this same app with the near cache on.
    o.NearCache.Enabled = Environment.GetEnvironmentVariable("TESSERA_NEAR_CACHE") == "1";
});

var app = builder.Build();
app.UseTessera();

app.MapGet("/health", () => Results.Text("ok"));

app.MapPost("/login", async Task<IResult> (HttpContext ctx, string? user) =>
{
    if (string.IsNullOrEmpty(user))
    {
        return Results.BadRequest("user required");
    }

    var s = ctx.Session.AsTessera();
    await s.LoadAsync();
    if (s.Exists)
    {
        // Logging in with a live session: new ID, old one dead at once.
        await s.RotateAsync();
    }

    s.Clear();
    s.SetString("username", user);
    return Results.Text("logged in");
});

app.MapGet("/view", async Task<IResult> (HttpContext ctx) =>
{
    // One round trip: existence check, atomic increment and sliding refresh in one script.
    var n = await ctx.Session.AsTessera().TryIncrementAsync("page_views");
    return n is null ? Results.Text("no session", statusCode: 401) : Results.Text(n.Value.ToString(CultureInfo.InvariantCulture));
});

app.MapGet("/peek", async Task<IResult> (HttpContext ctx) =>
{
    var s = ctx.Session;
    await s.LoadAsync();
    var user = s.GetString("username");
    return user is null ? Results.Text("no session", statusCode: 401) : Results.Text(user);
});

app.MapPost("/logout", async Task<IResult> (HttpContext ctx) =>
{
    await ctx.Session.AsTessera().DestroyAsync();
    return Results.Text("logged out");
});

app.Run();
