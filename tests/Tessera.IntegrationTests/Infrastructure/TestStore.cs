using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera.IntegrationTests;

/// <summary>Stores straight on a server (no proxy, no app), one connection per endpoint, for checks from outside the app.</summary>
public static class TestStore
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IConnectionMultiplexer>>> Connections = new();

    /// <summary>A store on <paramref name="endpoint"/> with a key prefix.</summary>
    /// <param name="endpoint">host:port.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <returns>The store.</returns>
    public static async Task<RedisSessionStore> CreateAsync(string endpoint, string prefix)
    {
        var mux = await Connections.GetOrAdd(endpoint, e => new Lazy<Task<IConnectionMultiplexer>>(async () => await ConnectionMultiplexer.ConnectAsync(e))).Value;
        var options = Options.Create(new TesseraOptions { KeyPrefix = prefix });
        return new RedisSessionStore(new TesseraConnection(mux, options), options);
    }

    /// <summary>Loads a session straight from the server.</summary>
    /// <param name="endpoint">host:port.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="id">The id.</param>
    /// <returns>The status.</returns>
    public static async Task<LoadStatus> LoadAsync(string endpoint, string prefix, string id) =>
        SessionIds.IsValid(id) ? (await (await CreateAsync(endpoint, prefix)).LoadAsync(id)).Status : LoadStatus.NotFound;
}
