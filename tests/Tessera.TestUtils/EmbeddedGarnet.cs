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
        Warm(Port);
    }

    /// <summary>
    /// Sends the server each kind of command the tests' apps send first (a read, a script, the capability
    /// probe's COMMAND INFO) once, with a generous bound. A Garnet just started in this process compiles
    /// its paths on first use, and its first COMMAND INFO loads its command table (measured 130-160 ms
    /// on this box under load, against 2 ms after); on a busy machine that first reply held up the
    /// commands queued behind it on the app's connection past their 2 s bound, so a fresh app's first
    /// requests answered 503. Paid here, outside any test's bound.
    /// </summary>
    private static void Warm(int port)
    {
        var bound = TimeSpan.FromSeconds(60);
        RespClient.Command(port, bound, null, "PING");
        RespClient.Command(port, bound, null, "HGETALL", "tessera-warm-up");
        RespClient.Command(port, bound, null, "EVAL", "return redis.call('HLEN', KEYS[1])", "1", "tessera-warm-up");
        RespClient.Command(port, bound, null, "COMMAND", "INFO", "xadd", "hexpire", "publish");
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
