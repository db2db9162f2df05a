using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore.Configuration;

/// <summary>
/// Turns <see cref="TesseraSessionOptions.ConnectionStringName"/> into
/// <see cref="TesseraOptions.Configuration"/> from the app's <c>ConnectionStrings</c> section, after
/// every other configuration step (an explicit <see cref="TesseraOptions.Configuration"/> wins).
/// A name with no connection string is left for <see cref="ConnectionSourceValidator"/> to report.
/// </summary>
internal sealed class ConnectionStringResolver(IServiceProvider services) : IPostConfigureOptions<TesseraSessionOptions>
{
    public void PostConfigure(string? name, TesseraSessionOptions options)
    {
        if (options.Configuration is null
            && options.ConnectionStringName is { Length: > 0 } connectionName
            && services.GetService(typeof(IConfiguration)) is IConfiguration configuration
            && configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString)
        {
            options.Configuration = connectionString;
        }
    }
}
