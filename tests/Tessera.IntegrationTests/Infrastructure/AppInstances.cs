using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.IntegrationTests;

/// <summary>
/// Stores that stand for separate app instances on one server: each with a connection of its own (its
/// own multiplexer, subscription and near cache, as on another machine), all disposed together.
/// </summary>
/// <param name="server">The server they share.</param>
public sealed class AppInstances(ServerFixture server) : IAsyncDisposable
{
    private readonly List<TesseraConnection> _connections = [];

    /// <summary>A new instance.</summary>
    /// <param name="prefix">The key prefix (the same for instances of one app).</param>
    /// <param name="clientName">The name its connections give Redis (to find them in <c>CLIENT LIST</c>), or null.</param>
    /// <param name="configure">Changes to its options.</param>
    /// <param name="logger">Its logger, or null.</param>
    /// <returns>The store.</returns>
    public RedisSessionStore Create(string prefix, string? clientName = null, Action<TesseraOptions>? configure = null, ILogger<RedisSessionStore>? logger = null)
    {
        var settings = new TesseraOptions
        {
            Configuration = clientName is null ? server.Endpoint : $"{server.Endpoint},name={clientName}",
            KeyPrefix = prefix,
        };
        configure?.Invoke(settings);
        var options = Options.Create(settings);
        var connection = new TesseraConnection(options);
        _connections.Add(connection);
        return new RedisSessionStore(connection, options, logger: logger);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}
