using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;

namespace Tessera.Demo;

/// <summary>A Garnet server (Redis-compatible) inside the demo's process, on a free loopback port, with Lua on.</summary>
internal sealed class EmbeddedGarnet : IDisposable
{
    private const int MaxAttempts = 5;
    private readonly GarnetServer _server;
    private int _disposed;

    private EmbeddedGarnet(GarnetServer server, int port)
    {
        _server = server;
        Port = port;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>host:port for StackExchange.Redis.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Starts a server on a free loopback port (retrying with another port if one is taken meanwhile).</summary>
    /// <returns>The running server.</returns>
    public static EmbeddedGarnet Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            GarnetServer? server = null;
            try
            {
                server = new GarnetServer(
                [
                    "--bind", "127.0.0.1",
                    "--port", port.ToString(CultureInfo.InvariantCulture),
                    "--lua",
                    "-q",
                    "--memory", "128m",
                    "--page", "1m",
                    "--index", "1m",
                ]);
                server.Start();
                return new EmbeddedGarnet(server, port);
            }
            catch (Exception ex) when (attempt < MaxAttempts && ex is SocketException or IOException or InvalidOperationException)
            {
                server?.Dispose();
            }
        }
    }

    /// <summary>A loopback TCP port that nothing listens on now.</summary>
    /// <returns>The port.</returns>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Stops the server (once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _server.Dispose();
        }
    }
}
