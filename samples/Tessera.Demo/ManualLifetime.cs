namespace Tessera.Demo;

/// <summary>
/// A host lifetime that does nothing: the demo runs several hosts in one process, and its
/// <see cref="Program"/> alone answers Ctrl+C and SIGTERM, then stops them in order.
/// </summary>
internal sealed class ManualLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
