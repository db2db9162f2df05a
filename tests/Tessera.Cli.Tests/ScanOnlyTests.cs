using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

/// <summary>What Redis actually receives from the walking commands, read with MONITOR: SCAN, never KEYS.</summary>
public sealed class ScanOnlyTests
{
    [Fact]
    public async Task WalkingCommands_SendScanNeverKeys()
    {
        using var server = RedisServerProcess.Start();
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(server.Endpoint))
        {
            await Seeder.SeedAsync(connection.GetDatabase(), "session:", 2500, users: 10);
        }

        using var monitor = new TcpClient();
        await monitor.ConnectAsync("127.0.0.1", server.Port);
        var stream = monitor.GetStream();
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray());
        using var reader = new StreamReader(stream, Encoding.UTF8);
        Assert.Equal("+OK", await reader.ReadLineAsync());

        foreach (var args in new[]
        {
            new[] { "stats", "--json" },
            ["list", "--json", "--limit", "3000"],
            ["cleanup", "--json"],
            ["watch", "--json", "--iterations", "1"],
            ["user", "sessions", "user1", "--json"],
        })
        {
            var result = await CliRun.RunAsync([.. args, "--redis", server.Endpoint, "--scan-count", "500"]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        var marker = Guid.NewGuid().ToString("N");
        RespClient.Command(server.Port, "ECHO", marker);
        var commands = new Dictionary<string, int>(StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(timeout.Token) is { } line && !line.Contains(marker, StringComparison.Ordinal))
        {
            // +1700000000.123456 [0 127.0.0.1:5555] "scan" "0" ...   (script calls show as [0 lua])
            var start = line.IndexOf("] \"", StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }

            var name = line[(start + 3)..line.IndexOf('"', start + 3)].ToLowerInvariant();
            commands[name] = commands.GetValueOrDefault(name) + 1;
        }

        Assert.DoesNotContain("keys", commands.Keys);
        Assert.DoesNotContain("flushall", commands.Keys);
        Assert.True(commands.GetValueOrDefault("scan") >= 4 * 5, string.Join(", ", commands.Select(c => $"{c.Key}={c.Value}")));
    }
}
