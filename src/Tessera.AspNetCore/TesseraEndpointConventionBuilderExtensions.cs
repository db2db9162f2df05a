using Microsoft.AspNetCore.Builder;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Endpoint conventions for Tessera.</summary>
public static class TesseraEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Serializes the requests of one session on this endpoint with the per-session lock (for
    /// read-modify-write of a value such as a JSON cart). <c>app.UseRouting()</c> must come before
    /// <c>app.UseTessera()</c> so the middleware sees the endpoint.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder RequireSessionLock<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(new RequireSessionLockAttribute()));
        return builder;
    }
}
