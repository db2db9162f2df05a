using System.Runtime.CompilerServices;
using StackExchange.Redis;
using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.Dashboard.Tests.RedisFixture))]

namespace Tessera.Dashboard.Tests;

/// <summary>
/// One redis-server for the assembly (a free loopback port, stopped by PID) and one admin connection.
/// Tests share the server, never keys: each app gets its own prefix. No redis-server is a loud failure
/// (RedisServerProcess says how to install it).
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private int _counter;
    private RedisServerProcess? _server;

    /// <summary>host:port.</summary>
    public string Endpoint => _server!.Endpoint;

    /// <summary>The shared connection (allowAdmin).</summary>
    public IConnectionMultiplexer Multiplexer { get; private set; } = null!;

    /// <summary>The database.</summary>
    public IDatabase Db => Multiplexer.GetDatabase();

    /// <summary>A key prefix no other test uses.</summary>
    /// <param name="caller">The test's name.</param>
    /// <returns>A prefix such as <c>dash:X:3:</c>.</returns>
    public string PrefixFor([CallerMemberName] string caller = "") => $"d:{caller[..Math.Min(caller.Length, 24)]}:{Interlocked.Increment(ref _counter)}:";

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
