using Microsoft.AspNetCore.Builder;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Adds Tessera's middleware to the pipeline.</summary>
public static class TesseraApplicationBuilderExtensions
{
    /// <summary>
    /// Makes <c>HttpContext.Session</c> a Tessera session for the rest of the pipeline. Place it
    /// after static files and routing, before the endpoints that use the session.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns><paramref name="app"/>, for chaining.</returns>
    public static IApplicationBuilder UseTessera(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<TesseraMiddleware>();
    }
}
