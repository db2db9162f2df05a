// Hosts the dashboard on a free loopback port (Development, anonymous: a local probe only) over the
// Redis given as the first argument, then times page views of the overview with HttpClient:
// the first view, the cached one, and (when the dashboard offers it) a full scan run to its end.
// With TRUE_SESSIONS, the number of sessions the generator wrote, it also says how many of the
// sampled overviews' 95% intervals held it.
// Usage: dotnet OverviewProbe.dll 127.0.0.1:PORT [views] [resamples] [TRUE_SESSIONS]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Tessera;

var redis = args.Length > 0 ? args[0] : "127.0.0.1:6379";
var views = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var v) ? Math.Clamp(v, 1, 20) : 3;
var resamples = args.Length > 2 && int.TryParse(args[2], CultureInfo.InvariantCulture, out var r) ? Math.Clamp(r, 1, 200) : 1;
long? truth = args.Length > 3 && long.TryParse(args[3], CultureInfo.InvariantCulture, out var t) ? t : null;
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development", Args = [] });
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
builder.Logging.ClearProviders();
builder.Services.AddTessera(o => o.Configuration = redis);
builder.Services.AddTesseraDashboard(o => o.AllowAnonymousInDevelopment = true);
var app = builder.Build();
app.UseTessera();
app.MapTesseraDashboard("/admin");
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };

async Task<(TimeSpan Took, string Html)> GetAsync(string path)
{
    var watch = Stopwatch.StartNew();
    using var response = await client.GetAsync(path);
    var html = await response.Content.ReadAsStringAsync();
    watch.Stop();
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
    }

    return (watch.Elapsed, html);
}

string Sessions(string html) => Regex.Match(html, "data-figure=\"sessions\" data-value=\"(\\d+)\"( data-low=\"(\\d+)\" data-high=\"(\\d+)\")?") is { Success: true } m
    ? m.Groups[1].Value + (m.Groups[2].Success ? $" (95%: {m.Groups[3].Value}-{m.Groups[4].Value})" : string.Empty)
    : "?";
bool Holds(string html, long count) => Regex.Match(html, "data-figure=\"sessions\" data-value=\"(\\d+)\"( data-low=\"(\\d+)\" data-high=\"(\\d+)\")?") is { Success: true } m
    && (m.Groups[2].Success ? long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) <= count && count <= long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) : long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == count);
string Note(string html) => Regex.Match(html, "<p class=\"help\" data-basis[^>]*>(.*?)</p>", RegexOptions.Singleline) is { Success: true } m ? Regex.Replace(m.Groups[1].Value, "<.*?>|\\s+", " ").Trim() : string.Empty;

var first = await GetAsync("/admin");
Console.WriteLine($"overview, first view: {first.Took.TotalMilliseconds:0} ms; sessions {Sessions(first.Html)}; {Note(first.Html)}");
for (var n = 1; n < views; n++)
{
    var again = await GetAsync("/admin");
    Console.WriteLine($"overview, view {n + 1} (cached): {again.Took.TotalMilliseconds:0} ms");
}

var took = new List<double>();
var held = 0;
for (var n = 0; n < resamples; n++)
{
    var rescan = await GetAsync("/admin?scan=now");
    took.Add(rescan.Took.TotalMilliseconds);
    held += truth is { } count && Holds(rescan.Html, count) ? 1 : 0;
    if (n < 3)
    {
        Console.WriteLine($"overview, ?scan=now (a new sample or scan): {rescan.Took.TotalMilliseconds:0} ms; sessions {Sessions(rescan.Html)}");
    }
}

took.Sort();
Console.WriteLine($"?scan=now x{resamples}: median {took[took.Count / 2]:0} ms, max {took[^1]:0} ms" + (truth is { } c ? $"; the 95% interval held {c:N0} in {held} of {resamples}" : string.Empty));
// A full scan from the page, cancelled after 3 s: how long from the cancel to the page saying so.
var form = await GetAsync("/admin/cleanup");
var token = Regex.Match(form.Html, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">");
if (token.Success)
{
    KeyValuePair<string, string> field = new(token.Groups[1].Value, WebUtility.HtmlDecode(token.Groups[2].Value));
    using var start = await client.PostAsync("/admin/scan", new FormUrlEncodedContent([field, new("step", "start")]));
    await Task.Delay(TimeSpan.FromSeconds(3));
    var running = await GetAsync("/admin");
    var progress = Regex.Match(running.Html, "Full scan running since [^:]+:[^:]+:[^:]+: ([0-9,]+) of about ([0-9,]+) keys");
    var cancelled = Stopwatch.StartNew();
    using var cancel = await client.PostAsync("/admin/scan", new FormUrlEncodedContent([field, new("step", "cancel")]));
    var stopped = false;
    for (var n = 0; n < 200 && !stopped; n++) // bounded: 200 polls, 20 s at most
    {
        stopped = (await GetAsync("/admin")).Html.Contains("data-full-scan=\"cancelled\"", StringComparison.Ordinal);
        if (!stopped)
        {
            await Task.Delay(100);
        }
    }

    cancelled.Stop();
    Console.WriteLine($"full scan: {(progress.Success ? progress.Groups[1].Value + " of about " + progress.Groups[2].Value : "?")} keys after 3 s; " +
        (stopped ? $"cancelled, the page said so {cancelled.Elapsed.TotalMilliseconds:0} ms after the cancel was sent" : "did not stop within 20 s"));
}

await app.StopAsync();
