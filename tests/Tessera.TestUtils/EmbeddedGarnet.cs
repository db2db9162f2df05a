using Garnet;

namespace Tessera.TestUtils;

/// <summary>
/// A Garnet server inside the test process, on a free loopback port, with Lua on and a small
/// memory footprint. Dispose it once.
/// </summary>
public sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;
    private int _disposed;

    /// <summary>Starts the server.</summary>
    public EmbeddedGarnet()
    {
        Port = FreePort.Get();
        _server = new GarnetServer(
        [
            "--bind", "127.0.0.1",
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lua",
            "-q",
            "--memory", "64m",
            "--page", "1m",
            "--index", "1m",
        ]);
        _server.Start();
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>host:port for StackExchange.Redis.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Stops the server (once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _server.Dispose();
        }
    }
}
