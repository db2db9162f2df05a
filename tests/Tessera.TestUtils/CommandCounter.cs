using System.Net.Sockets;
using System.Text;

namespace Tessera.TestUtils;

/// <summary>
/// Counts the commands clients sent a Redis server (only those naming a key under <c>keyPrefix</c> when
/// one is given: tests that share a server in parallel), with MONITOR on a raw connection. Commands a
/// script ran inside the server (MONITOR marks them "lua") are not round trips and are not counted,
/// nor is connection upkeep (PING, ECHO, INFO, CLIENT, SUBSCRIBE, ...).
/// </summary>
public sealed class CommandCounter(int port, string? keyPrefix = null)
{
    private static readonly HashSet<string> Upkeep = ["info", "ping", "echo", "client", "subscribe", "config", "cluster", "hello", "role", "command", "sentinel", "auth", "select"];
    private static int _marker;

    /// <summary>
    /// How many <c>GET</c>s of the "everyone at once" epoch the last measurement saw. They are not in its
    /// counts: each rides in the same pipelined batch as the command it stands beside (a load's
    /// <c>HGETALL</c>, a commit's or an atomic's <c>EVALSHA</c>), so it adds no round trip.
    /// </summary>
    public long EpochReads { get; private set; }

    /// <summary>
    /// Scripts to count by a name of their own instead of as <c>evalsha</c>: the SHA-1 (lower-case hex) of each
    /// script's text, and its name (for example the session read's script, apart from the writes').
    /// </summary>
    public IReadOnlyDictionary<string, string> ScriptNames { get; init; } = new Dictionary<string, string>();

    /// <summary>The SHA-1 of a script's text, as <c>EVALSHA</c> names it.</summary>
    /// <param name="script">The script.</param>
    /// <returns>Lower-case hex.</returns>
#pragma warning disable CA5350 // SHA-1 is what Redis names a script by, not a security measure here.
    public static string Sha1Of(string script) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(script)));
#pragma warning restore CA5350

    /// <summary>Runs <paramref name="action"/> and returns the commands clients sent meanwhile, by name (the epoch's reads apart: <see cref="EpochReads"/>).</summary>
    /// <param name="action">The work to measure.</param>
    /// <returns>Command name to count.</returns>
    public async Task<Dictionary<string, long>> MeasureAsync(Func<Task> action)
    {
        using var monitor = new TcpClient();
        await monitor.ConnectAsync("127.0.0.1", port);
        var stream = monitor.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray());
        var ok = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        if (ok != "+OK")
        {
            throw new InvalidOperationException($"MONITOR answered '{ok}', not +OK.");
        }

        await action();

        // A marker from another connection ends the window: MONITOR shows commands in order.
        var marker = $"tessera-marker-{Interlocked.Increment(ref _marker)}";
        using (var other = new TcpClient())
        {
            await other.ConnectAsync("127.0.0.1", port);
            var otherStream = other.GetStream();
            await otherStream.WriteAsync(Encoding.ASCII.GetBytes($"ECHO {marker}\r\n"));
            _ = await otherStream.ReadAsync(new byte[64]);
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        EpochReads = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return counts;
            }

            // 1700000000.123456 [0 127.0.0.1:5555] "evalsha" "..."   or   [0 lua] "hset" ...
            var close = line.IndexOf("] \"", StringComparison.Ordinal);
            if (close < 0 || line.AsSpan(0, close).EndsWith(" lua", StringComparison.Ordinal) || (keyPrefix is not null && !line.Contains(keyPrefix, StringComparison.Ordinal)))
            {
                continue;
            }

            var start = close + 3;
            var end = line.IndexOf('"', start);
            var name = line[start..end].ToLowerInvariant();
            if (name == "evalsha" && line.Length > end + 3 && line.IndexOf('"', end + 3) is var shaEnd and > 0
                && ScriptNames.TryGetValue(line[(end + 3)..shaEnd], out var scriptName))
            {
                name = scriptName;
            }

            if (name == "get" && line.EndsWith("everyone-revoked\"", StringComparison.Ordinal))
            {
                EpochReads++;
            }
            else if (!Upkeep.Contains(name))
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        throw new InvalidOperationException("MONITOR ended before the marker.");
    }
}
