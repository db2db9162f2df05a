using Microsoft.AspNetCore.Routing;

namespace Tessera.Dashboard;

/// <summary>The route builders the dashboard was mapped on, so the start-up check can build their endpoints and see their authorization.</summary>
internal sealed class DashboardRegistrations
{
    private readonly List<IEndpointRouteBuilder> _builders = [];

    public void Add(IEndpointRouteBuilder builder)
    {
        lock (_builders)
        {
            _builders.Add(builder);
        }
    }

    public IReadOnlyList<IEndpointRouteBuilder> Builders
    {
        get
        {
            lock (_builders)
            {
                return [.. _builders];
            }
        }
    }
}
