using System.Diagnostics;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

public sealed class ErrorHandlingTests(RedisFixture redis)
{
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("stats", "--frobnicate")]
    [InlineData("show")]
    [InlineData("watch", "--interval", "0s")]
    [InlineData("stats", "--top", "many")]
    [InlineData("stats", "--scan-count", "0")]
    [InlineData("stats", "--pause", "forever")]
    [InlineData("user", "revoke-all", "alice", "--except", "nope")]
    [InlineData("doctor", "--pings", "0")]
    [InlineData("list", "--limit", "abc")]
    [InlineData("user")]
    public async Task BadArguments_ExitTwoWithAMessage(params string[] args)
    {
        var result = await CliRun.RunAsync([.. args, "--redis", redis.Endpoint]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.False(string.IsNullOrWhiteSpace(result.Error), result.ToString());
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRedisConfiguration_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["stats", "--redis", "127.0.0.1:6379,frobnicate=yes"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--redis", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_ExitsThreeWithOneLine()
    {
        var port = FreePort.Get();

        var result = await CliRun.RunAsync(["stats", "--redis", $"127.0.0.1:{port}", "--connect-timeout", "500ms"]);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains($"Cannot reach Redis at 127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task RedisFromEnvironment_IsUsedWhenNoOption()
    {
        var port = FreePort.Get();
        var dead = await CliRun.RunAsync(["doctor", "--connect-timeout", "500ms"], new Dictionary<string, string> { ["TESSERA_REDIS"] = $"127.0.0.1:{port}" });
        Assert.Equal(3, dead.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", dead.Error, StringComparison.Ordinal);

        var live = await CliRun.RunAsync(["stats", "--json", "--prefix", redis.PrefixFor()], new Dictionary<string, string> { ["TESSERA_REDIS"] = redis.Endpoint });
        Assert.True(live.ExitCode == 0, live.ToString());
    }

    [Fact]
    public async Task CtrlC_BeforeStart_ExitsOneThirty()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var result = await CliRun.RunAsync(["stats", "--redis", redis.Endpoint], cancellation: cts.Token);

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("Interrupted", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlC_DuringWatch_ExitsOneThirty()
    {
        // Ctrl+C once the first sample is out (a fixed 400 ms fired before the first line on a busy box);
        // the bound only ends a run that never prints, which then fails on the missing line.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await CliRun.RunAsync(
            ["watch", "--redis", redis.Endpoint, "--interval", "50ms", "--prefix", redis.PrefixFor()],
            cancellation: cts.Token,
            onOutput: text =>
            {
                if (text.Contains("sessions=0", StringComparison.Ordinal))
                {
                    cts.Cancel();
                }
            });

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("sessions=0", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_SigInt_ExitsOneThirty()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        // Through `env --default-signal=INT`: a process started in the background by a shell without job
        // control inherits SIGINT ignored (POSIX), and .NET then honours the ignore, as a background job
        // should. The fresh-clone runs launched that way saw the CLI sample on for 17 s after the signal
        // ("Interrupted" never printed); the test is about a Ctrl+C that reaches the CLI.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        foreach (var arg in new[] { cli, "watch", "--redis", redis.Endpoint, "--interval", "100ms", "--prefix", redis.PrefixFor() })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Contains("sessions=0", first, StringComparison.Ordinal);
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            // Read both streams to the end while waiting (a full pipe must not hold the exit up), and on a
            // missed exit say what the process had printed: whether it saw the signal ("Interrupted") and
            // stopped sampling, or never saw it. It missed the 20 s once in a full run (not reproduced alone).
            var rest = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync();
                Assert.Fail($"no exit 20 s after SIGINT.\n--- stderr\n{await error}\n--- stdout after the first line ({(await rest).Split('\n').Length} lines)\n{(await rest)[^Math.Min((await rest).Length, 2000)..]}");
            }

            Assert.Equal(130, process.ExitCode);
            Assert.Contains("Interrupted", await error, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Process_Unreachable_ExitsThreeWithoutStackTrace()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Tessera.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "stats", "--redis", $"127.0.0.1:{FreePort.Get()}", "--connect-timeout", "500ms" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(3, process.ExitCode);
        Assert.Contains("Cannot reach Redis", await error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await error, StringComparison.Ordinal);
    }
}
