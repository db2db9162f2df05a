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
    /// <summary>
    /// How recent a sign-in the step-up page needs here: short, so a test sees a sign-in grow too old
    /// within seconds; long enough that a page opened right after signing in still passes on a busy machine.
    /// </summary>
    public static readonly TimeSpan StepUpMaxAge = TimeSpan.FromSeconds(6);

    private DemoHost? _host;

    /// <summary>The demo's warnings and errors in this test run.</summary>
    public static DemoLogSink Log { get; } = new();

    /// <summary>The running demo.</summary>
    public DemoHost Host => _host ?? throw new InvalidOperationException("The demo has not started.");

    /// <summary>The proxy's URL.</summary>
    public Uri Url => Host.Url;

    /// <inheritdoc/>
    public async ValueTask InitializeAsync() =>
        _host = await DemoHost.StartAsync(new DemoSettings { Port = 0, Quiet = true, LogSink = Log, StepUpMaxAge = StepUpMaxAge });

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
