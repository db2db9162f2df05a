using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// The near cache (<see cref="NearCacheOptions"/>): sessions this instance read recently, kept in memory
/// and answered again without reading Redis, for as long as Redis has not said they changed.
/// <list type="number">
/// <item><b>Hearing changes.</b> A connection of its own to each primary (<see cref="InvalidationConnection"/>,
/// one on a single server or under Sentinel, one per primary on a Cluster) is registered with
/// <c>CLIENT TRACKING ... BCAST PREFIX {prefix}</c>: Redis queues on it the name of every key under the
/// prefix that any client changes, deletes or expires on that primary, while the change runs.</item>
/// <item><b>Read your writes, on any instance.</b> Before a read looks at the cache it waits for a
/// <c>PING</c> on every one of those connections sent after the read began (reads waiting together share
/// one; <see cref="InvalidationChannel"/>), so every change that finished before the read began has been
/// heard and its entry dropped, whichever primary holds the key (a slot can move). A pong whose token is
/// not the one expected is a fault.</item>
/// <item><b>No stale fill.</b> A miss registers the keys it reads; a change heard between the
/// registration and the reply means the reply is not kept.</item>
/// <item><b>Losing a connection.</b> Any fault on any of them, a pong that does not come back within
/// <see cref="TesseraOptions.OperationTimeout"/>, a failover (a primary became a replica) or a change
/// in the primaries the store's own multiplexer sees empties the cache at once and
/// closes them all; reads go to Redis until every primary's connection is registered again.</item>
/// <item><b>Servers that cannot.</b> Without <c>CLIENT TRACKING</c> (Garnet) it is
/// <see cref="NearCacheState.Unsupported"/>, logged once.</item>
/// </list>
/// Only the store's asynchronous load uses it; writes, scripts and the synchronous load go to Redis.
/// </summary>
public sealed partial class NearCache
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly RedisSessionStore _store;
    private readonly NearCacheOptions _options;
    private readonly string _prefix;
    private readonly Lock _gate = new();
    private NearCacheState _state;
    private InvalidationChannel[] _channels = [];
    private Task? _running;
    private bool _hooked;
    private bool _warnedNotYet;

    internal NearCache(RedisSessionStore store)
    {
        _store = store;
        _options = store.Options.NearCache;
        _prefix = store.Options.KeyPrefix;
        EpochKey = SessionLayout.EveryoneRevokedKey(_prefix).ToString();
        _state = _options.Enabled ? NearCacheState.Connecting : NearCacheState.Off;
    }

    /// <summary>What it is doing now.</summary>
    public NearCacheState State => _state;

    /// <summary>Whether repeated reads are being answered from memory now.</summary>
    public bool IsActive => _state == NearCacheState.Active;

    /// <summary>How many sessions it holds (the "everyone at once" epoch included, when held).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The key of the epoch every cached read is checked against.</summary>
    internal string EpochKey { get; }

    /// <summary>
    /// Starts registering for invalidations (once; later calls share it) and waits until the cache is
    /// active, off for good, or the time bound passes.
    /// </summary>
    /// <param name="timeout">How long to wait for it to be active.</param>
    /// <returns>Whether it is active.</returns>
    public async Task<bool> StartAsync(TimeSpan timeout)
    {
        EnsureStarted();
        var until = _store.Time.GetTimestamp();
        while (_state == NearCacheState.Connecting && _store.Time.GetElapsedTime(until) < timeout && !_store.Connection.IsDisposed)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _store.Time).ConfigureAwait(false);
        }

        return IsActive;
    }

    /// <summary>Starts the connection loop if the cache is on and it is not running.</summary>
    internal void EnsureStarted()
    {
        if (_state is NearCacheState.Off or NearCacheState.Unsupported || _running is not null)
        {
            return;
        }

        lock (_gate)
        {
            _running ??= Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// The first step of a load: a hit, a registered fill, or a bypass. Waits for a pong from every
    /// primary's channel sent after the call began, so the cache has heard every change finished before
    /// it, whichever primary holds the key now (on a Cluster a key can move; every primary is asked).
    /// </summary>
    /// <param name="key">The session's key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What to do.</returns>
    internal async ValueTask<NearLookup> LookupAsync(RedisKey key, CancellationToken cancellationToken)
    {
        if (_state != NearCacheState.Active)
        {
            EnsureStarted();
            Record("bypass");
            return NearLookup.Bypass;
        }

        InvalidationChannel[] channels;
        long generation;
        lock (_gate)
        {
            channels = _channels;
            generation = _generation;
        }

        if (channels.Length == 0 || !await CaughtUpAsync(channels, cancellationToken).ConfigureAwait(false))
        {
            Record("bypass");
            return NearLookup.Bypass;
        }

        var lookup = Find(key.ToString()!, generation);
        Record(lookup.IsHit ? "hit" : lookup.IsFill ? "miss" : "bypass");
        return lookup;
    }

    /// <summary>Waits for a pong sent after now on every channel; false (and the cache reset) when one cannot say.</summary>
    private async ValueTask<bool> CaughtUpAsync(InvalidationChannel[] channels, CancellationToken cancellationToken)
    {
        var waits = new Task<bool>[channels.Length];
        for (var n = 0; n < channels.Length; n++)
        {
            var channel = channels[n];
            if (!channel.OnPrimary)
            {
                // A failover made the registered server a replica (or the store lost it): what it says is no longer the whole truth.
                Fault(channel, "the server it listens to became a replica");
                return false;
            }

            waits[n] = channel.Wait(out var send);
            if (send > 0)
            {
                _ = PingAsync(channel, send);
            }
        }

        try
        {
            var heard = await Task.WhenAll(waits).WaitAsync(_store.Options.OperationTimeout, _store.Time, cancellationToken).ConfigureAwait(false);
            return Array.TrueForAll(heard, static h => h);
        }
        catch (TimeoutException)
        {
            Fault(channels[Array.FindIndex(waits, static w => !w.IsCompleted) is var late and >= 0 ? late : 0], "a PING on the invalidation connection did not come back in time");
            return false;
        }
    }

    private async Task PingAsync(InvalidationChannel channel, long token)
    {
        try
        {
            await channel.Connection.PingAsync(token, _store.Connection.Disposing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fault(channel, $"a PING could not be sent ({ex.GetType().Name})");
        }
    }

    private async Task RunAsync()
    {
        var stopping = _store.Connection.Disposing;
        while (!stopping.IsCancellationRequested)
        {
            InvalidationChannel[] channels = [];
            Task[] readers = [];
            var reason = "the connection closed";
            try
            {
                var opened = await OpenAsync(stopping).ConfigureAwait(false);
                if (opened is null)
                {
                    return;
                }

                channels = opened;

                // One reader per primary; the first to stop (a fault, a close) ends them all.
                readers = [.. channels.Select(c => ReadAsync(c, stopping))];
                var first = await Task.WhenAny(readers).ConfigureAwait(false);
                await first.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                reason = "the store's connection was disposed";
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reason = ex is RedisReplyException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            }
            finally
            {
                if (channels.Length > 0)
                {
                    Fault(channels[0], reason);
                    foreach (var channel in channels)
                    {
                        await channel.Connection.DisposeAsync().ConfigureAwait(false);
                    }

                    // The other readers end on their closed connections: observed here, not left unobserved.
                    try
                    {
                        await Task.WhenAll(readers).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // Expected: each reader ends with its connection.
                    }
                }
            }

            if (channels.Length == 0 && !stopping.IsCancellationRequested)
            {
                // Once at Warning (a refused registration, an ACL without CLIENT TRACKING, must be seen), then at Debug until it works.
                if (_warnedNotYet)
                {
                    LogNotYet(_store.Logger, reason);
                }
                else
                {
                    _warnedNotYet = true;
                    LogCannotRegister(_store.Logger, reason);
                }
            }

            try
            {
                await Task.Delay(RetryDelay, _store.Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads one channel until it fails: invalidations are applied before the next frame is read, pongs release their waiters.</summary>
    private async Task ReadAsync(InvalidationChannel channel, CancellationToken stopping)
    {
        while (true)
        {
            var message = await channel.Connection.ReadAsync(stopping).ConfigureAwait(false);
            if (message.IsPong)
            {
                if (channel.OnPong(message.Token) is > 0 and var next)
                {
                    await channel.Connection.PingAsync(next, stopping).ConfigureAwait(false);
                }
            }
            else
            {
                Invalidate(channel, message.Keys);
            }
        }
    }

    /// <summary>Opens and registers a connection to every primary, or says why not; null when the cache is off for good.</summary>
    private async Task<InvalidationChannel[]?> OpenAsync(CancellationToken stopping)
    {
        var multiplexer = await _store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
        Hook(multiplexer);
        var capabilities = await _store.Connection.ProbeAsync().WaitAsync(_store.Options.OperationTimeout, _store.Time, stopping).ConfigureAwait(false);
        if (!capabilities.IsKnown)
        {
            throw new IOException($"the server's commands are not known yet ({capabilities})");
        }

        if (!capabilities.Supports("client|tracking"))
        {
            lock (_gate)
            {
                _state = NearCacheState.Unsupported;
            }

            LogUnsupported(_store.Logger, $"the server has no CLIENT TRACKING ({capabilities})");
            return null;
        }

        var servers = multiplexer.GetServers();
        var primaries = servers.Where(static s => s.IsConnected && !s.IsReplica).ToArray();
        var cluster = servers.Any(static s => s.ServerType == ServerType.Cluster);
        if (primaries.Length == 0 || (!cluster && primaries.Length != 1))
        {
            throw new IOException($"{primaries.Length} connected primaries, {(cluster ? "at least one" : "one")} expected");
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bound.CancelAfter(_store.Options.OperationTimeout * 2);
        var config = ConfigurationOptions.Parse(multiplexer.Configuration);
        var channels = new List<InvalidationChannel>(primaries.Length);
        try
        {
            foreach (var primary in primaries)
            {
                var connection = await InvalidationConnection.OpenAsync(primary.EndPoint, config, _prefix, bound.Token).ConfigureAwait(false);
                channels.Add(new InvalidationChannel(connection, primary));
            }
        }
        catch
        {
            foreach (var channel in channels)
            {
                await channel.Connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        lock (_gate)
        {
            Clear();
            _channels = [.. channels];
            _warnedNotYet = false;
            _state = NearCacheState.Active;
        }

        LogActive(_store.Logger, string.Join(", ", channels.Select(static c => $"{c.Primary.EndPoint} (client id {c.Connection.ClientId})")));
        return [.. channels];
    }

    /// <summary>
    /// A change in the servers the store's multiplexer sees (a failover, a primary added to a Cluster)
    /// resets the cache's connections when the connected primaries are no longer the ones it listens to.
    /// A drop of the store's own connections changes nothing here: the cache's sockets are its own, and a
    /// primary that died ends them too.
    /// </summary>
    private void Hook(IConnectionMultiplexer multiplexer)
    {
        lock (_gate)
        {
            if (_hooked)
            {
                return;
            }

            _hooked = true;
        }

        multiplexer.ConfigurationChanged += (_, e) =>
        {
            InvalidationChannel[] channels;
            lock (_gate)
            {
                channels = _channels;
            }

            var primaries = multiplexer.GetServers().Where(static s => s.IsConnected && !s.IsReplica).Select(static s => s.EndPoint).ToHashSet();
            if (channels.Length > 0 && !primaries.SetEquals(channels.Select(static c => c.Primary.EndPoint)))
            {
                FaultLive($"the primaries changed ({e.EndPoint})");
            }
        };
    }

    private void FaultLive(string reason)
    {
        InvalidationChannel? any;
        lock (_gate)
        {
            any = _channels.FirstOrDefault();
        }

        if (any is not null)
        {
            Fault(any, reason);
        }
    }

    /// <summary>
    /// Drops every channel once one can no longer be trusted: the cache is emptied, every waiting read
    /// goes to Redis, and the connections are closed (their readers end; the loop registers anew).
    /// </summary>
    private void Fault(InvalidationChannel channel, string reason)
    {
        InvalidationChannel[] dropped;
        lock (_gate)
        {
            if (Array.IndexOf(_channels, channel) < 0)
            {
                return;
            }

            dropped = _channels;
            _channels = [];
            if (_state == NearCacheState.Active)
            {
                _state = NearCacheState.Connecting;
            }

            Clear();
        }

        foreach (var each in dropped)
        {
            each.Close();
            _ = each.Connection.DisposeAsync().AsTask();
        }

        _store.Metrics.NearCacheResets.Add(1);
        LogReset(_store.Logger, reason);
    }

    private void Record(string outcome) =>
        _store.Metrics.NearCacheReads.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, outcome));
}
