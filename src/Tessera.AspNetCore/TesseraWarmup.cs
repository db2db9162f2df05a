using Microsoft.Extensions.Hosting;

namespace Tessera.AspNetCore;

/// <summary>
/// Connects to Redis and probes its capabilities as the app starts, without making start-up wait for
/// it (Redis may be down: the app starts and recovers by itself). The first request then neither pays
/// the connect out of its own time bound nor runs before the server's capabilities are known. Before
/// this, the first request of a freshly started app connected within its 2 s bound and, on a busy box,
/// could answer 503 (the contender test gave its login five tries for it).
/// </summary>
internal sealed class TesseraWarmup(RedisSessionStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = WarmAsync();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WarmAsync()
    {
        try
        {
            await store.Connection.ProbeAsync().ConfigureAwait(false);
            store.NearCache.EnsureStarted();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Redis down or misconfigured: the first request reports it (503 or a configuration error), as before.
        }
    }
}
