using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> a process shares for sessions: built from
/// <see cref="TesseraOptions.Configuration"/> or <see cref="TesseraOptions.ConnectionMultiplexerFactory"/>,
/// or one the app registered. Connects on first use and never fails start-up when Redis is down:
/// StackExchange.Redis reconnects in the background and operations fail fast until it is back.
/// </summary>
public sealed class TesseraConnection : IAsyncDisposable, IDisposable
{
    private readonly TesseraOptions _options;
    private readonly bool _owned;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile IConnectionMultiplexer? _multiplexer;

    /// <summary>Creates a connection that builds its own multiplexer from the options.</summary>
    /// <param name="options">The store options.</param>
    public TesseraConnection(IOptions<TesseraOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _owned = true;
    }

    /// <summary>Creates a connection over a multiplexer the app owns; it is not disposed here.</summary>
    /// <param name="multiplexer">The multiplexer.</param>
    /// <param name="options">The store options.</param>
    public TesseraConnection(IConnectionMultiplexer multiplexer, IOptions<TesseraOptions> options)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _multiplexer = multiplexer;
        _owned = false;
    }

    /// <summary>The multiplexer, once connected.</summary>
    public IConnectionMultiplexer? Multiplexer => _multiplexer;

    /// <summary>Gets the database, connecting first if needed.</summary>
    /// <returns>The database.</returns>
    public ValueTask<IDatabase> GetDatabaseAsync() =>
        _multiplexer is { } m ? new(m.GetDatabase()) : ConnectSlowAsync();

    /// <summary>Gets the multiplexer, connecting first if needed.</summary>
    /// <returns>The multiplexer.</returns>
    public async ValueTask<IConnectionMultiplexer> GetMultiplexerAsync()
    {
        if (_multiplexer is { } m)
        {
            return m;
        }

        await ConnectSlowAsync().ConfigureAwait(false);
        return _multiplexer!;
    }

    /// <summary>Gets the database synchronously, connecting first if needed.</summary>
    /// <returns>The database.</returns>
    public IDatabase GetDatabase()
    {
        if (_multiplexer is { } m)
        {
            return m.GetDatabase();
        }

        _connectLock.Wait();
        try
        {
            _multiplexer ??= _options.ConnectionMultiplexerFactory is { } factory
                ? factory().GetAwaiter().GetResult()
                : ConnectionMultiplexer.Connect(BuildConfiguration(_options));
            return _multiplexer.GetDatabase();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>
    /// Turns the options into a StackExchange.Redis configuration: never abort on a failed first
    /// connect, and time operations out at <see cref="TesseraOptions.OperationTimeout"/>.
    /// </summary>
    /// <param name="options">The store options.</param>
    /// <returns>The configuration.</returns>
    public static ConfigurationOptions BuildConfiguration(TesseraOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new InvalidOperationException(
                "No Redis configured for Tessera: set TesseraOptions.Configuration (for example 'localhost:6379'), " +
                "set TesseraOptions.ConnectionMultiplexerFactory, or register an IConnectionMultiplexer.");
        }

        var config = ConfigurationOptions.Parse(options.Configuration);
        config.AbortOnConnectFail = false;
        var timeoutMs = (int)Math.Ceiling(options.OperationTimeout.TotalMilliseconds);
        config.AsyncTimeout = timeoutMs;
        config.SyncTimeout = timeoutMs;
        config.ConnectTimeout = Math.Max(timeoutMs, 1000);
        config.ClientName ??= "tessera";
        // StackExchange.Redis would put the command's key (a session key) into exception messages.
        config.IncludeDetailInExceptions = false;
        // Tessera needs neither the tie-breaker key nor CONFIG: without them a least-privilege ACL
        // user (deploy/redis-sessions.conf) connects with nothing refused. An explicit setting wins.
        if (config.TieBreaker == DefaultTieBreaker)
        {
            config.TieBreaker = string.Empty;
        }

        if (ReferenceEquals(config.CommandMap, CommandMap.Default))
        {
            config.CommandMap = CommandMap.Create(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CONFIG" }, available: false);
        }

        return config;
    }

    private static readonly string DefaultTieBreaker = new ConfigurationOptions().TieBreaker;

    private async ValueTask<IDatabase> ConnectSlowAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _multiplexer ??= _options.ConnectionMultiplexerFactory is { } factory
                ? await factory().ConfigureAwait(false)
                : await ConnectionMultiplexer.ConnectAsync(BuildConfiguration(_options)).ConfigureAwait(false);
            return _multiplexer.GetDatabase();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_owned)
        {
            _multiplexer?.Dispose();
        }

        _connectLock.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_owned && _multiplexer is { } m)
        {
            await m.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }
}
