using System.Runtime.CompilerServices;
using StackExchange.Redis;
using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.Identity.Tests.RedisServer))]

namespace Tessera.Identity.Tests;

/// <summary>A real redis-server for the assembly, started on a free loopback port and stopped by its PID.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private RedisServerProcess? _server;
    private int _counter;

    /// <summary>host:port.</summary>
    public string Endpoint => _server!.Endpoint;

    /// <summary>The port (for MONITOR).</summary>
    public int Port => _server!.Port;

    /// <summary>A connection for checks from outside the app.</summary>
    public IConnectionMultiplexer Multiplexer { get; private set; } = null!;

    /// <summary>A key prefix no other test uses.</summary>
    /// <param name="caller">The test's name.</param>
    /// <returns>The prefix.</returns>
    public string PrefixFor([CallerMemberName] string caller = "") =>
        $"id:{(caller.Length > 40 ? caller[..40] : caller)}:{Interlocked.Increment(ref _counter)}:";

    /// <summary>Every key under a prefix (SCAN).</summary>
    /// <param name="prefix">The prefix.</param>
    /// <returns>The keys.</returns>
    public List<string> KeysUnder(string prefix) =>
        Multiplexer.GetServer(Multiplexer.GetEndPoints()[0]).Keys(pattern: prefix + "*").Select(k => (string)k!).ToList();

    /// <inheritdoc/>
    public async ValueTask InitializeAsync()
    {
        _server = RedisServerProcess.Start();
        Multiplexer = await ConnectionMultiplexer.ConnectAsync($"{Endpoint},allowAdmin=true");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Multiplexer is not null)
        {
            await Multiplexer.DisposeAsync();
        }

        _server?.Dispose();
    }
}
