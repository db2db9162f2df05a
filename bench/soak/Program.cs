// Soak: mixed session load through a FaultProxy to a real redis-server, a fault every 30 s, for a
// bounded time; reports responses by status, the count outside 200/401/503, and the RSS growth.
// Not in CI: bench/soak/run.sh [minutes] (default 10).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera;
using Tessera.TestUtils;

var minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var duration = TimeSpan.FromMinutes(minutes);
using var redis = RedisServerProcess.Start();
await using var proxy = new FaultProxy(redis.Endpoint);

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseTestServer();
builder.Logging.ClearProviders();
builder.Services.AddTessera(o =>
{
    o.Configuration = proxy.Endpoint;
    o.KeyPrefix = "soak:";
    o.OperationTimeout = TimeSpan.FromSeconds(1);
    o.Cookie.Name = "sid";
    o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
});
await using var app = builder.Build();
app.UseTessera();
app.MapPost("/login", async (HttpContext ctx, string user) =>
{
    await ctx.Session.LoadAsync();
    ctx.Session.SetString("user", user);
    return Results.Text("ok");
});
app.MapGet("/peek", async (HttpContext ctx) =>
{
    await ctx.Session.LoadAsync();
    return ctx.Session.GetString("user") is { } u ? Results.Text(u) : Results.Text("none", statusCode: 401);
});
app.MapGet("/view", async (HttpContext ctx) =>
    await ctx.Session.AsTessera().TryIncrementAsync("views") is { } n ? Results.Text(n.ToString(CultureInfo.InvariantCulture)) : Results.Text("none", statusCode: 401));
app.MapPost("/set", (HttpContext ctx, string v) =>
{
    ctx.Session.SetString("note", v);
    return Results.Text("ok");
});
app.MapGet("/health", () => Results.Text("ok"));
await app.StartAsync();

var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
var wrongUser = 0L;
var clock = Stopwatch.StartNew();
var process = Process.GetCurrentProcess();
var faults = new (string Name, Action Start, Action Stop)[]
{
    ("blackhole 5 s", () => proxy.Set(FaultMode.Blackhole), () => proxy.Set(FaultMode.Pass)),
    ("replies 1.5 s late", () => proxy.ReplyDelay = TimeSpan.FromMilliseconds(1500), () => proxy.ReplyDelay = TimeSpan.Zero),
    ("reset every 300 ms", () => proxy.ResetEvery(TimeSpan.FromMilliseconds(300)), proxy.StopResetting),
    ("50 ms each way", () => proxy.Latency = TimeSpan.FromMilliseconds(50), () => proxy.Latency = TimeSpan.Zero),
};

async Task WorkerAsync(int n)
{
    var handler = app.GetTestServer().CreateHandler();
    var cookies = new CookieContainer();
    using var client = new HttpClient(new CookieHandler(handler, cookies)) { BaseAddress = new Uri("http://localhost/") };
    var user = $"u{n}";
    var sent = 0;
    while (clock.Elapsed < duration && sent++ < 2_000_000)
    {
        var pick = Random.Shared.Next(10);
        using var response = pick switch
        {
            0 => await client.PostAsync($"/login?user={user}", null),
            < 6 => await client.GetAsync("/peek"),
            < 9 => await client.GetAsync("/view"),
            _ => await client.PostAsync("/set?v=x", null),
        };
        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, c) => c + 1);
        if (pick is >= 1 and < 6 && response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() != user)
        {
            Interlocked.Increment(ref wrongUser);
        }

        await Task.Delay(5);
    }
}

GC.Collect();
var rssStart = process.WorkingSet64;
var workers = Enumerable.Range(0, 32).Select(n => Task.Run(() => WorkerAsync(n))).ToArray();
var faultLoop = Task.Run(async () =>
{
    for (var k = 0; clock.Elapsed + TimeSpan.FromSeconds(30) < duration; k++)
    {
        await Task.Delay(TimeSpan.FromSeconds(25));
        var fault = faults[k % faults.Length];
        Console.WriteLine($"{clock.Elapsed:mm\\:ss} fault: {fault.Name}");
        fault.Start();
        await Task.Delay(TimeSpan.FromSeconds(5));
        fault.Stop();
        process.Refresh();
        Console.WriteLine($"{clock.Elapsed:mm\\:ss} healed; RSS {process.WorkingSet64 / 1048576.0:0.0} MiB; so far {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
    }
});
await Task.WhenAll(workers);
await faultLoop;
GC.Collect();
process.Refresh();
var total = statuses.Values.Sum();
var other = statuses.Where(s => s.Key is not (200 or 401 or 503)).Sum(s => s.Value);
Console.WriteLine($"soak {duration.TotalMinutes:0.#} min: {total} requests; {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
Console.WriteLine($"responses outside 200/401/503: {other}; reads that got another user's session: {wrongUser}");
Console.WriteLine($"RSS {rssStart / 1048576.0:0.0} MiB -> {process.WorkingSet64 / 1048576.0:0.0} MiB ({(process.WorkingSet64 - rssStart) / 1048576.0:+0.0;-0.0} MiB)");
await app.StopAsync();
return other == 0 && wrongUser == 0 ? 0 : 1;

/// <summary>Keeps cookies per worker over a TestServer handler.</summary>
internal sealed class CookieHandler(HttpMessageHandler inner, CookieContainer cookies) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var header = cookies.GetCookieHeader(request.RequestUri!);
        if (header.Length > 0)
        {
            request.Headers.Add("Cookie", header);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var c in set)
            {
                cookies.SetCookies(request.RequestUri!, c);
            }
        }

        return response;
    }
}
