using System.Net;
using System.Net.Sockets;

namespace Tessera.TestUtils;

/// <summary>Free loopback ports for test servers.</summary>
public static class FreePort
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = [];

    /// <summary>A loopback TCP port that nothing listens on now and that this process has not handed out before.</summary>
    /// <param name="alsoFree">Offsets from the port that must be free too (a cluster bus port is port + 10000).</param>
    /// <returns>The port.</returns>
    public static int Get(params int[] alsoFree)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (port + alsoFree.DefaultIfEmpty(0).Max() > 65535 || Handed.Contains(port))
                {
                    continue;
                }

                if (alsoFree.All(offset => IsFree(port + offset)))
                {
                    Handed.Add(port);
                    return port;
                }
            }

            throw new InvalidOperationException("No free loopback port found after 200 attempts.");
        }
    }

    /// <summary>Whether a loopback port can be bound now.</summary>
    /// <param name="port">The port.</param>
    /// <returns><see langword="true"/> when nothing listens on it.</returns>
    public static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
