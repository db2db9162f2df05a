using Microsoft.Extensions.Hosting;

namespace Tessera.Dashboard;

/// <summary>
/// Before anything starts listening, builds the dashboard's endpoints, which runs the convention that
/// throws when a dashboard endpoint has no authorization: the app fails to start instead of serving
/// the dashboard to anyone.
/// </summary>
internal sealed class DashboardStartupCheck(DashboardRegistrations registrations) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var builder in registrations.Builders)
        {
            foreach (var source in builder.DataSources)
            {
                _ = source.Endpoints;
            }
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
