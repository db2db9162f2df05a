using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.Cli.Tests.RedisFixture))]

namespace Tessera.Cli.Tests;

/// <summary>
/// One redis-server for the assembly (started on a free loopback port, stopped by PID) and one
/// connection. Tests share the server, never keys: each uses its own prefix. Tests that change the
/// server's configuration start their own server instead.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private int _counter;
    private RedisServerProcess? _server;

    /// <summary>host:port.</summary>
    public string Endpoint => _server!.Endpoint;

    /// <summary>The shared connection.</summary>
    public IConnectionMultiplexer Multiplexer { get; private set; } = null!;

    /// <summary>The database.</summary>
    public IDatabase Db => Multiplexer.GetDatabase();

    /// <summary>A key prefix no other test uses.</summary>
    /// <param name="caller">The test's name.</param>
    /// <returns>A prefix such as <c>cli:Stats_X:3:</c>.</returns>
    public string PrefixFor([CallerMemberName] string caller = "") => $"cli:{caller}:{Interlocked.Increment(ref _counter)}:";

    /// <summary>A store over the shared connection.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <returns>The store.</returns>
    public RedisSessionStore CreateStore(string prefix)
    {
        var options = Options.Create(new TesseraOptions { KeyPrefix = prefix });
        return new RedisSessionStore(new TesseraConnection(Multiplexer, options), options);
    }

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
