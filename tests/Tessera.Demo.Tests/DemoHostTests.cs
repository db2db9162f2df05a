using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Tessera.TestUtils;

namespace Tessera.Demo.Tests;

/// <summary>The demo as a program: on a real redis-server (--redis), with an unreachable Redis, and as a process that stops on SIGTERM.</summary>
public sealed partial class DemoHostTests
{
    [Fact]
    public async Task StartAsync_WithRealRedisServer_SessionIsSharedByTheInstances_AndRedisDownIs503NotAnError()
    {
        using var redis = RedisServerProcess.Start();
        await using var host = await DemoHost.StartAsync(new DemoSettings { Redis = redis.Endpoint, Port = 0, Instances = 2, Quiet = true });
        Assert.False(host.EmbeddedRedis);
        using var client = new DemoClient(host.Url);
        var user = "redis-" + Guid.NewGuid().ToString("N")[..6];
        await client.LoginAsync(user);
        var (response, _) = await client.PostFormAsync("/count");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);

        foreach (var instance in host.Instances)
        {
            using var direct = new DemoClient(instance.Url);
            foreach (Cookie cookie in client.Cookies.GetAllCookies())
            {
                direct.Cookies.Add(instance.Url, new Cookie(cookie.Name, cookie.Value));
            }

            var json = await direct.SessionAsync();
            Assert.Equal(instance.Name, json.GetProperty("instance").GetString());
            Assert.Equal(user, json.GetProperty("session").GetProperty("user").GetString());
            Assert.Equal(1, json.GetProperty("session").GetProperty("counter").GetInt64());
        }

        // Redis goes away: the page says so with a 503, never a 500 or a hang.
        redis.Dispose();
        foreach (var path in new[] { "/", "/api/ttl", "/api/session" })
        {
            var clock = Stopwatch.StartNew();
            using var down = await client.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{path} took {clock.Elapsed}.");
            if (path == "/")
            {
                Assert.Contains("The session store is not answering", await down.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task StartAsync_UnreachableRedis_FailsWithWhatToDo()
    {
        var port = FreePort.Get();
        var ex = await Assert.ThrowsAsync<DemoStartException>(() =>
            DemoHost.StartAsync(new DemoSettings { Redis = $"127.0.0.1:{port}", Port = 0, Quiet = true }));
        Assert.Contains($"Cannot reach Redis at 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("leave out --redis", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_PortTaken_UsesAFreeOne_ServesThePage_StopsCleanlyOnSigterm()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var taken = ((IPEndPoint)busy.LocalEndpoint).Port;
        var psi = new ProcessStartInfo(DotnetHost(), [DemoAssembly(), "--port", taken.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment.Remove(DemoSettings.RedisVariable);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Poll.Until(() => Read(output).Contains("Press Ctrl+C", StringComparison.Ordinal) || process.HasExited, TimeSpan.FromSeconds(60), "the demo prints its URL", () => Read(output));
            var text = Read(output);
            var url = new Uri(OpenLine().Match(text) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No URL in:\n" + text));
            Assert.NotEqual(taken, url.Port);
            Assert.Contains($"Port {taken} is taken", text, StringComparison.Ordinal);
            Assert.Contains("embedded Garnet", text, StringComparison.Ordinal);

            using var client = new DemoClient(url);
            var (page, body) = await client.GetPageAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Tessera demo", body, StringComparison.Ordinal);

            // What a service manager does to stop it (the shell's own kill: no procps needed).
            using (var kill = Process.Start("/bin/sh", ["-c", "kill -TERM " + process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(deadline.Token);
            Assert.True(0 == process.ExitCode, $"Exit code {process.ExitCode}:\n{Read(output)}");
            Assert.Contains("Stopped.", Read(output), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    /// <summary>The demo's own build output (same configuration as this test), so it runs with its own deps.json.</summary>
    private static string DemoAssembly()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = dir.Name;
        var configuration = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Tessera.slnx not found above " + AppContext.BaseDirectory), "samples", "Tessera.Demo", "bin", configuration, tfm, "Tessera.Demo.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build samples/Tessera.Demo first.");
    }

    [GeneratedRegex(@"Open (http://127\.0\.0\.1:\d+/)")]
    private static partial Regex OpenLine();
}
