using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> a process shares for sessions: built from
/// <see cref="TesseraOptions.Configuration"/> or <see cref="TesseraOptions.ConnectionMultiplexerFactory"/>,
/// or one the app registered. Connects on first use and never fails start-up when Redis is down:
/// StackExchange.Redis reconnects in the background and operations fail fast until it is back.
/// It knows what the server can do (<see cref="Capabilities"/>): probed once per connection, and
/// again after a reconnect or a failover.
/// </summary>
public sealed class TesseraConnection : IAsyncDisposable, IDisposable
{
    private readonly TesseraOptions _options;
    private readonly bool _owned;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile IConnectionMultiplexer? _multiplexer;
    private IDisposable? _sentinels;
    private Task<IConnectionMultiplexer?>? _waitConnection;
    private IDisposable? _waitSentinels;
    private volatile ServerCapabilities _capabilities = ServerCapabilities.Unknown;
    private Task<ServerCapabilities>? _probing;
    private int _probeGeneration;
    private readonly Lock _probeLock = new();
    private readonly CancellationTokenSource _disposing = new();

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
        Attach(multiplexer);
    }

    /// <summary>
    /// What the server can do: <see cref="ServerCapabilities.Unknown"/> until the first probe answers,
    /// and again from a reconnect or a failover until the server is probed anew. A feature that needs
    /// an optional command asks here before every use.
    /// </summary>
    public ServerCapabilities Capabilities => _capabilities;

    /// <summary>Raised when a probe has answered (the capabilities may have changed).</summary>
    public event EventHandler<ServerCapabilities>? CapabilitiesChanged;

    /// <summary>
    /// Probes the server now (connecting first if needed) and returns what it can do. A probe already
    /// running is shared.
    /// </summary>
    /// <returns>The capabilities.</returns>
    public async Task<ServerCapabilities> ProbeAsync()
    {
        await GetMultiplexerAsync().ConfigureAwait(false);
        return await StartProbe(reprobe: false).ConfigureAwait(false);
    }

    /// <summary>Whether replies are checked against the command that waits for them (StackExchange.Redis's high-integrity mode).</summary>
    public bool ChecksReplies => _multiplexer is { } m && ConfigurationOptions.Parse(m.Configuration).HighIntegrity;

    private void Attach(IConnectionMultiplexer multiplexer)
    {
        // A reconnect may reach another server (a failover, a restart with another build): until it is
        // probed again, no optional command is sent.
        multiplexer.ConnectionRestored += (_, _) => Reprobe();
        multiplexer.ConfigurationChanged += (_, _) => Reprobe();
        _ = StartProbe(reprobe: false);
    }

    private void Reprobe()
    {
        _capabilities = ServerCapabilities.Unknown;
        _ = StartProbe(reprobe: true);
    }

    private Task<ServerCapabilities> StartProbe(bool reprobe)
    {
        lock (_probeLock)
        {
            if (!reprobe && _probing is { IsCompleted: false } running)
            {
                return running;
            }

            var generation = ++_probeGeneration;
            return _probing = RunProbeAsync(generation);
        }
    }

    private async Task<ServerCapabilities> RunProbeAsync(int generation)
    {
        if (_multiplexer is not { } multiplexer)
        {
            return ServerCapabilities.Unknown;
        }

        ServerCapabilities found;
        try
        {
            found = await CapabilityProbe.ProbeAsync(multiplexer, _options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex) || ex is RedisReplyException)
        {
            // Not connected or out of step: the reconnect probes again.
            found = ServerCapabilities.Unknown;
        }

        if (Volatile.Read(ref _probeGeneration) == generation)
        {
            _capabilities = found;
            if (found.IsKnown || found.Error is not null)
            {
                CapabilitiesChanged?.Invoke(this, found);
            }
        }

        return found;
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
    /// <remarks>
    /// Connecting here blocks on the one connect path (<see cref="ConnectSlowAsync"/>): only a synchronous
    /// first use (an <c>ISession</c> read before any <c>LoadAsync</c>, in an app whose start-up connect
    /// has not finished) gets here unconnected, and StackExchange.Redis's own synchronous connect blocks the same way.
    /// </remarks>
    public IDatabase GetDatabase() =>
        _multiplexer is { } m ? m.GetDatabase() : ConnectSlowAsync().AsTask().GetAwaiter().GetResult();

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
        CheckReplies(config, options.Configuration);
        // A failed reconnect attempt backs off a quarter of a second each, so a connection lost in an
        // outage is back soon after Redis answers (the breaker's probe then closes it). An explicit setting wins.
        config.ReconnectRetryPolicy ??= new LinearRetry(250);
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

    /// <summary>
    /// Turns on StackExchange.Redis's high-integrity mode unless the configuration text says otherwise:
    /// every command is followed by a token the server must echo back before the command's reply is
    /// given to its caller, so a duplicated, dropped or shifted reply fails the command and drops the
    /// connection instead of handing one request another's data. Used for every connection Tessera,
    /// its CLI and its dashboard build.
    /// </summary>
    /// <param name="config">The configuration to change.</param>
    /// <param name="text">The configuration text it was parsed from.</param>
    internal static void CheckReplies(ConfigurationOptions config, string? text)
    {
        if (text is null || !text.Contains("highIntegrity", StringComparison.OrdinalIgnoreCase))
        {
            config.HighIntegrity = true;
        }
    }

    /// <summary>
    /// Connects as StackExchange.Redis would, except under Sentinel with reply checks on: sentinels have
    /// no <c>ECHO</c>, the token the high-integrity mode sends after every command, so the sentinels are
    /// connected without it and only the primary's connection (the one sessions use) checks replies.
    /// </summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The connection, and the sentinels' connection to dispose with it (or null).</returns>
    internal static async Task<(ConnectionMultiplexer Primary, IDisposable? Sentinels)> ConnectAsync(ConfigurationOptions config)
    {
        if (string.IsNullOrEmpty(config.ServiceName) || !config.HighIntegrity)
        {
            return (await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false), null);
        }

        var sentinels = await ConnectionMultiplexer.SentinelConnectAsync(ForSentinels(config)).ConfigureAwait(false);
        try
        {
            return (sentinels.GetSentinelMasterConnection(config), sentinels);
        }
        catch
        {
            await sentinels.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static ConfigurationOptions ForSentinels(ConfigurationOptions config)
    {
        var sentinels = config.Clone();
        sentinels.HighIntegrity = false;
        return sentinels;
    }

    private static readonly string DefaultTieBreaker = new ConfigurationOptions().TieBreaker;

    private async ValueTask<IDatabase> ConnectSlowAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_multiplexer is null)
            {
                IConnectionMultiplexer made;
                if (_options.ConnectionMultiplexerFactory is { } factory)
                {
                    made = await factory().ConfigureAwait(false);
                }
                else
                {
                    (made, _sentinels) = await ConnectAsync(BuildConfiguration(_options)).ConfigureAwait(false);
                }
                _multiplexer = made;
                Attach(made);
            }

            return _multiplexer.GetDatabase();
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>
    /// A second connection of its own for <c>WAIT</c> (which blocks the connection it is sent on), opened on
    /// first use; null when the store was given a multiplexer or a factory (nothing to open a second one like).
    /// </summary>
    /// <returns>The connection, or null.</returns>
    internal Task<IConnectionMultiplexer?> GetWaitConnectionAsync()
    {
        if (!_owned || _options.ConnectionMultiplexerFactory is not null || string.IsNullOrWhiteSpace(_options.Configuration))
        {
            return Task.FromResult<IConnectionMultiplexer?>(null);
        }

        lock (_probeLock)
        {
            if (_waitConnection is null || _waitConnection.IsFaulted)
            {
                _waitConnection = OpenWaitConnectionAsync();
            }

            return _waitConnection;
        }
    }

    private async Task<IConnectionMultiplexer?> OpenWaitConnectionAsync()
    {
        var config = BuildConfiguration(_options);
        config.ClientName = (config.ClientName ?? "tessera") + "-wait";
        var (primary, sentinels) = await ConnectAsync(config).ConfigureAwait(false);
        _waitSentinels = sentinels;
        return primary;
    }

    /// <summary>Whether the connection was disposed.</summary>
    internal bool IsDisposed { get; private set; }

    /// <summary>Cancelled when the connection is disposed: stops what runs beside it (the near cache's connection).</summary>
    internal CancellationToken Disposing => _disposing.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        IsDisposed = true;
        _disposing.Cancel();
        if (_waitConnection is { IsCompletedSuccessfully: true, Result: { } wait })
        {
            wait.Dispose();
        }

        _waitSentinels?.Dispose();
        if (_owned)
        {
            _multiplexer?.Dispose();
            _sentinels?.Dispose();
        }

        _connectLock.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        IsDisposed = true;
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_waitConnection is { IsCompletedSuccessfully: true, Result: { } wait })
        {
            await wait.DisposeAsync().ConfigureAwait(false);
        }

        _waitSentinels?.Dispose();
        if (_owned && _multiplexer is { } m)
        {
            await m.DisposeAsync().ConfigureAwait(false);
        }

        if (_owned)
        {
            _sentinels?.Dispose();
        }

        _connectLock.Dispose();
    }
}
