using Tessera.TestUtils;

[assembly: AssemblyFixture(typeof(Tessera.Tests.Browser.BrowserFixture))]
[assembly: AssemblyFixture(typeof(Tessera.Blazor.Tests.RedisFixture))]

namespace Tessera.Blazor.Tests;

/// <summary>One redis-server for the assembly, on a free loopback port, stopped by its PID.</summary>
public sealed class RedisFixture : IDisposable
{
    private readonly RedisServerProcess _server = RedisServerProcess.Start();
    private int _counter;

    /// <summary>host:port.</summary>
    public string Endpoint => _server.Endpoint;

    /// <summary>A key prefix no other test uses.</summary>
    /// <returns>The prefix.</returns>
    public string NextPrefix() => $"b:{Interlocked.Increment(ref _counter)}:";

    /// <inheritdoc/>
    public void Dispose() => _server.Dispose();
}
