using Tessera.Demo;

[assembly: AssemblyFixture(typeof(Tessera.Demo.Tests.DemoFixture))]

namespace Tessera.Demo.Tests;

/// <summary>
/// The demo as a person runs it, inside the test process: an embedded Garnet, three instances and
/// the round-robin proxy, on free loopback ports. One per test run; tests keep apart by using their
/// own cookie jars and usernames.
/// </summary>
public sealed class DemoFixture : IAsyncLifetime
{
    private DemoHost? _host;

    /// <summary>The running demo.</summary>
    public DemoHost Host => _host ?? throw new InvalidOperationException("The demo has not started.");

    /// <summary>The proxy's URL.</summary>
    public Uri Url => Host.Url;

    /// <inheritdoc/>
    public async ValueTask InitializeAsync() =>
        _host = await DemoHost.StartAsync(new DemoSettings { Port = 0, Quiet = true });

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>A browser-like HTTP client (its own cookie jar) on the proxy.</summary>
    /// <returns>The client.</returns>
    public DemoClient CreateClient() => new(Url);
}
