using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.IntegrationTests.RedisFixture))]
[assembly: AssemblyFixture(typeof(Tessera.IntegrationTests.GarnetFixture))]

namespace Tessera.IntegrationTests;

/// <summary>A Redis-compatible server shared by an assembly's tests, with one connection.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private int _counter;

    /// <summary>redis or garnet.</summary>
    public abstract string Name { get; }

    /// <summary>host:port.</summary>
    public abstract string Endpoint { get; }

    /// <summary>The shared connection.</summary>
    public IConnectionMultiplexer Multiplexer { get; private set; } = null!;

    /// <summary>The database of the shared connection.</summary>
    public IDatabase Db => Multiplexer.GetDatabase();

    /// <summary>A key prefix no other test uses: tests share the server, never keys.</summary>
    /// <param name="caller">The test's name.</param>
    /// <returns>A prefix such as <c>t:Commit_X:3:</c>.</returns>
    public string PrefixFor([CallerMemberName] string caller = "") =>
        $"t:{(caller.Length > 40 ? caller[..40] : caller)}:{Interlocked.Increment(ref _counter)}:";

    /// <summary>A store over the shared connection with its own key prefix.</summary>
    /// <param name="configure">Changes to the options.</param>
    /// <param name="caller">The test's name.</param>
    /// <returns>The store.</returns>
    public RedisSessionStore CreateStore(Action<TesseraOptions>? configure = null, [CallerMemberName] string caller = "")
    {
        var options = new TesseraOptions { KeyPrefix = PrefixFor(caller) };
        configure?.Invoke(options);
        var wrapped = Options.Create(options);
        return new RedisSessionStore(new TesseraConnection(Multiplexer, wrapped), wrapped, ValueCodec.Create(options));
    }

    /// <inheritdoc/>
    public virtual async ValueTask InitializeAsync()
    {
        StartServer();
        Multiplexer = await ConnectionMultiplexer.ConnectAsync($"{Endpoint},allowAdmin=true").ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public virtual async ValueTask DisposeAsync()
    {
        if (Multiplexer is not null)
        {
            await Multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        StopServer();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts the server.</summary>
    protected abstract void StartServer();

    /// <summary>Stops the server.</summary>
    protected abstract void StopServer();
}

/// <summary>A real redis-server, started on a free loopback port and stopped by its PID.</summary>
public sealed class RedisFixture : ServerFixture
{
    private RedisServerProcess? _server;

    /// <inheritdoc/>
    public override string Name => "redis";

    /// <inheritdoc/>
    public override string Endpoint => _server!.Endpoint;

    /// <inheritdoc/>
    protected override void StartServer() => _server = RedisServerProcess.Start();

    /// <inheritdoc/>
    protected override void StopServer() => _server?.Dispose();
}

/// <summary>An embedded Garnet server in the test process.</summary>
public sealed class GarnetFixture : ServerFixture
{
    private EmbeddedGarnet? _server;

    /// <inheritdoc/>
    public override string Name => "garnet";

    /// <inheritdoc/>
    public override string Endpoint => _server!.Endpoint;

    /// <inheritdoc/>
    protected override void StartServer() => _server = new EmbeddedGarnet();

    /// <inheritdoc/>
    protected override void StopServer() => _server?.Dispose();
}
