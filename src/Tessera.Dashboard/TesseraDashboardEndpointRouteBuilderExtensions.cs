using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tessera.Dashboard;

namespace Tessera;

/// <summary>Maps the dashboard.</summary>
public static class TesseraDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the operators' dashboard under <paramref name="pattern"/>: overview, analytics, a user's
    /// devices, the Redis audit and cleanup, and the live event feed. Every endpoint must require
    /// authorization, through <see cref="DashboardOptions.AuthorizationPolicy"/> or a
    /// <c>.RequireAuthorization(...)</c> on the returned builder; otherwise the app refuses to start
    /// (unless <see cref="DashboardOptions.AllowAnonymousInDevelopment"/> is set and the environment
    /// is Development). Every form post checks an antiforgery token and is written to the audit log.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">Where the dashboard lives.</param>
    /// <returns>The group's convention builder, to add authorization or other conventions.</returns>
    /// <exception cref="InvalidOperationException"><c>AddTesseraDashboard()</c> was not called.</exception>
    public static RouteGroupBuilder MapTesseraDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/admin/sessions")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var services = endpoints.ServiceProvider;
        var registrations = services.GetService<DashboardRegistrations>()
            ?? throw new InvalidOperationException("MapTesseraDashboard needs services.AddTesseraDashboard() (after AddTessera()).");
        var options = services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var environment = services.GetRequiredService<IHostEnvironment>();

        var group = endpoints.MapGroup(pattern);
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        var anonymous = options.AllowAnonymousInDevelopment && environment.IsDevelopment();
        if (anonymous)
        {
            group.AllowAnonymous();
        }

        ((IEndpointConventionBuilder)group).Finally(builder =>
        {
            var authorized = builder.Metadata.Any(static m => m is IAuthorizeData or AuthorizationPolicy);
            var allowsAnonymous = builder.Metadata.Any(static m => m is IAllowAnonymous);
            if (anonymous)
            {
                return;
            }

            if (!authorized || allowsAnonymous)
            {
                throw new InvalidOperationException(
                    $"The Tessera dashboard at '{pattern}' has no authorization, so it would let anyone revoke sessions. " +
                    "Give it a policy: app.MapTesseraDashboard(\"" + pattern + "\").RequireAuthorization(\"operators\"), " +
                    "or AddTesseraDashboard(o => o.AuthorizationPolicy = \"operators\")" +
                    (options.AllowAnonymousInDevelopment
                        ? $". AllowAnonymousInDevelopment is set, but the environment is '{environment.EnvironmentName}', not Development."
                        : ". For local development only: AddTesseraDashboard(o => o.AllowAnonymousInDevelopment = true)."));
            }
        });

        DashboardEndpoints.Map(group, pattern);
        registrations.Add(endpoints);
        return group;
    }
}
