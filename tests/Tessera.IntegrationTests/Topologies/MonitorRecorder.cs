using System.Net.Sockets;
using System.Text;

namespace Tessera.IntegrationTests;

/// <summary>
/// Records what several Redis nodes executed, with MONITOR on a raw connection to each: commands
/// clients sent, and the commands scripts ran inside the server (MONITOR marks them <c>lua</c>; they
/// follow their EVAL/EVALSHA line, since a script runs atomically).
/// </summary>
public static class MonitorRecorder
{
    private static int _marker;

    /// <summary>Runs <paramref name="action"/> and returns, per port, the commands each node ran meanwhile.</summary>
    /// <param name="ports">The nodes' ports.</param>
    /// <param name="action">The work to record.</param>
    /// <returns>Port to the node's commands, in the order it ran them.</returns>
    public static async Task<Dictionary<int, List<MonitoredCommand>>> RecordAsync(IReadOnlyList<int> ports, Func<Task> action)
    {
        var monitors = new List<(int Port, TcpClient Client, StreamReader Reader)>();
        try
        {
            foreach (var port in ports)
            {
                var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                var reader = new StreamReader(client.GetStream(), Encoding.UTF8);
                monitors.Add((port, client, reader));
                await client.GetStream().WriteAsync("MONITOR\r\n"u8.ToArray());
                Assert.Equal("+OK", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5)));
            }

            await action();

            // A marker from another connection ends each node's window: MONITOR shows commands in order.
            var marker = $"tessera-marker-{Interlocked.Increment(ref _marker)}";
            foreach (var port in ports)
            {
                using var other = new TcpClient();
                await other.ConnectAsync("127.0.0.1", port);
                await other.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"ECHO {marker}\r\n"));
                _ = await other.GetStream().ReadAsync(new byte[64]);
            }

            var result = new Dictionary<int, List<MonitoredCommand>>();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            foreach (var (port, _, reader) in monitors)
            {
                var commands = new List<MonitoredCommand>();
                while (true)
                {
                    var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException($"MONITOR on {port} ended before the marker.");
                    if (line.Contains(marker, StringComparison.Ordinal))
                    {
                        break;
                    }

                    if (Parse(line) is { } command)
                    {
                        commands.Add(command);
                    }
                }

                result[port] = commands;
            }

            return result;
        }
        finally
        {
            foreach (var (_, client, reader) in monitors)
            {
                reader.Dispose();
                client.Dispose();
            }
        }
    }

    /// <summary>Parses one MONITOR line: <c>1700000000.123456 [0 127.0.0.1:5555] "evalsha" "..."</c> or <c>[0 lua] "hset" ...</c>.</summary>
    /// <param name="line">The line.</param>
    /// <returns>The command, or null for a line that is not one.</returns>
    public static MonitoredCommand? Parse(string line)
    {
        var open = line.IndexOf(" [", StringComparison.Ordinal);
        var close = line.IndexOf("] \"", StringComparison.Ordinal);
        if (open < 0 || close < 0)
        {
            return null;
        }

        var source = line[(open + 2)..close];
        var args = new List<string>();
        var i = close + 2;
        while (i < line.Length)
        {
            if (line[i] != '"')
            {
                i++;
                continue;
            }

            var arg = new StringBuilder();
            for (i++; i < line.Length && line[i] != '"'; i++)
            {
                if (line[i] == '\\' && i + 1 < line.Length)
                {
                    i++;
                    if (line[i] == 'x' && i + 2 < line.Length)
                    {
                        arg.Append((char)Convert.ToInt32(line.Substring(i + 1, 2), 16));
                        i += 2;
                    }
                    else
                    {
                        arg.Append(line[i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var c => c });
                    }
                }
                else
                {
                    arg.Append(line[i]);
                }
            }

            args.Add(arg.ToString());
            i++;
        }

        return args.Count == 0 ? null : new MonitoredCommand(source.EndsWith(" lua", StringComparison.Ordinal), args[0].ToUpperInvariant(), args.Skip(1).ToList());
    }
}
