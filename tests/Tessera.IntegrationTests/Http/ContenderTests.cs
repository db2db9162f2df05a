using System.Diagnostics;
using System.Net;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// The peers-bench contender in bench/tessera-contender, run as the benchmark runs it (its own
/// process, real Kestrel, real redis-server): the counter its GET /view keeps is exact under 200
/// parallel requests on one session.
/// </summary>
public sealed class ContenderTests
{
    private static string ContenderDll()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Tessera.slnx")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("Tessera.slnx not found above the test assembly.");
        }

        var dll = Path.Combine(root, "bench", "tessera-contender", "bin", configuration, "net10.0", "TesseraContender.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build Tessera.slnx ({configuration}) first; ./test.sh does.");
    }

    [Fact]
    public async Task TwoHundredParallelViews_OnOneSession_LeaveTheCounterExact()
    {
        using var redis = RedisServerProcess.Start();
        var port = FreePort.Get();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ContenderDll());
        psi.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["REDIS_URL"] = redis.Endpoint;
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var app = Process.Start(psi)!;
        app.OutputDataReceived += (_, _) => { };
        app.ErrorDataReceived += (_, _) => { };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            var up = await Eventually.WaitAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri("health", UriKind.Relative))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30));
            Assert.True(up, "the contender should answer /health within 30 s");

            // The app connects to Redis as it starts (TesseraWarmup), so the first request does not
            // pay the connect out of its 2 s bound: one login, no retries.
            using var login = await http.PostAsync(new Uri("login?user=ada", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

            var views = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("view", UriKind.Relative));
                request.Headers.Add("Cookie", cookie);
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return int.Parse(await response.Content.ReadAsStringAsync(), System.Globalization.CultureInfo.InvariantCulture);
            }));
            Assert.Equal(Enumerable.Range(1, 200), views.Order());
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }
}
