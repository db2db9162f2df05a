using StackExchange.Redis;

namespace Tessera.Redis;

/// <summary>Asks every connected primary which of <see cref="ServerCapabilities.ProbedCommands"/> it has, with <c>COMMAND INFO</c>.</summary>
internal static class CapabilityProbe
{
    /// <summary>Probes within <paramref name="timeout"/>.</summary>
    /// <param name="multiplexer">The connection.</param>
    /// <param name="timeout">The bound for each server's answer.</param>
    /// <returns>The commands every connected primary has, <see cref="ServerCapabilities.Unknown"/> when none is connected, or a failed probe.</returns>
    public static async Task<ServerCapabilities> ProbeAsync(IConnectionMultiplexer multiplexer, TimeSpan timeout)
    {
        var servers = multiplexer.GetServers().Where(static s => s.IsConnected && !s.IsReplica).ToArray();
        if (servers.Length == 0)
        {
            return ServerCapabilities.Unknown;
        }

        HashSet<string>? common = null;
        foreach (var server in servers)
        {
            HashSet<string> present;
            try
            {
                present = await ProbeServerAsync(server, timeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisServerException)
            {
                return ServerCapabilities.Failed($"COMMAND INFO refused: {RedisFailures.Describe(ex)}");
            }

            if (common is null)
            {
                common = present;
            }
            else
            {
                common.IntersectWith(present);
            }
        }

        return ServerCapabilities.Of(common ?? []);
    }

    /// <summary>Asks one server which of <see cref="ServerCapabilities.ProbedCommands"/> it has.</summary>
    /// <param name="server">The server.</param>
    /// <param name="timeout">The bound.</param>
    /// <returns>The commands present.</returns>
    public static async Task<HashSet<string>> ProbeServerAsync(IServer server, TimeSpan timeout)
    {
        var args = new object[1 + ServerCapabilities.ProbedCommands.Count];
        args[0] = "INFO";
        for (var i = 0; i < ServerCapabilities.ProbedCommands.Count; i++)
        {
            args[i + 1] = ServerCapabilities.ProbedCommands[i];
        }

        return Parse(await server.ExecuteAsync("COMMAND", args).WaitAsync(timeout).ConfigureAwait(false));
    }

    /// <summary>Reads a <c>COMMAND INFO</c> reply: one entry per asked command, nil when the server lacks it.</summary>
    /// <param name="reply">The reply.</param>
    /// <returns>The commands present.</returns>
    /// <exception cref="RedisReplyException">The reply is not one entry per asked command.</exception>
    internal static HashSet<string> Parse(RedisResult reply)
    {
        if (reply.Resp2Type != ResultType.Array || reply.Length != ServerCapabilities.ProbedCommands.Count)
        {
            throw new RedisReplyException("COMMAND INFO did not answer one entry per command asked.");
        }

        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < reply.Length; i++)
        {
            var entry = reply[i];
            if (entry.IsNull || entry.Resp2Type != ResultType.Array || entry.Length == 0)
            {
                continue;
            }

            // The entry names the command: a reply for some other question would not.
            var name = (string?)entry[0];
            if (!string.Equals(name, ServerCapabilities.ProbedCommands[i], StringComparison.OrdinalIgnoreCase))
            {
                throw new RedisReplyException("COMMAND INFO answered for another command.");
            }

            present.Add(ServerCapabilities.ProbedCommands[i]);
        }

        return present;
    }
}
