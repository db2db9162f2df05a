using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// The near cache (<see cref="NearCacheOptions"/>): sessions this instance read recently, kept in memory
/// and answered again without reading Redis, for as long as Redis has not said they changed.
/// <list type="number">
/// <item><b>Hearing changes.</b> A connection of its own (<see cref="InvalidationConnection"/>) is
/// registered with <c>CLIENT TRACKING ... BCAST PREFIX {prefix}</c>: Redis queues on it the name of every
/// key under the prefix that any client changes, deletes or expires, while the change runs.</item>
/// <item><b>Read your writes, on any instance.</b> Before a read looks at the cache it waits for a
/// <c>PING</c> on that connection sent after the read began (reads waiting together share one), so every
/// change that finished before the read began has been heard and its entry dropped. A pong whose
/// token is not the one expected is a fault.</item>
/// <item><b>No stale fill.</b> A miss registers the keys it reads; a change heard between the
/// registration and the reply means the reply is not kept.</item>
/// <item><b>Losing the connection.</b> Any fault, a pong that does not come back within
/// <see cref="TesseraOptions.OperationTimeout"/>, a failover (the primary became a replica) or a
/// connection event of the store's own multiplexer empties the cache at once; reads go to Redis until
/// a new connection is registered.</item>
/// <item><b>Servers that cannot.</b> Without <c>CLIENT TRACKING</c> (Garnet), or on a Cluster, it is
/// <see cref="NearCacheState.Unsupported"/>, logged once.</item>
/// </list>
/// Only the store's asynchronous load uses it; writes, scripts and the synchronous load go to Redis.
/// </summary>
public sealed partial class NearCache
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly Task<bool> Refused = Task.FromResult(false);

    private readonly RedisSessionStore _store;
    private readonly NearCacheOptions _options;
    private readonly string _prefix;
    private readonly Lock _gate = new();
    private NearCacheState _state;
    private InvalidationConnection? _live;
    private IServer? _primary;
    private Task? _running;
    private bool _hooked;
    private long _nextToken;
    private long _inflightToken;
    private List<TaskCompletionSource<bool>>? _inflight;
    private List<TaskCompletionSource<bool>>? _waiting;

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
    /// The first step of a load: a hit, a registered fill, or a bypass. Waits for a pong sent after
    /// the call began, so the cache has heard every change finished before it.
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

        var (heard, connection, generation) = Barrier();
        bool caughtUp;
        try
        {
            caughtUp = await heard.WaitAsync(_store.Options.OperationTimeout, _store.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Fault(connection, "a PING on the invalidation connection did not come back in time");
            caughtUp = false;
        }

        if (!caughtUp)
        {
            Record("bypass");
            return NearLookup.Bypass;
        }

        var lookup = Find(key.ToString()!, generation);
        Record(lookup.IsHit ? "hit" : lookup.IsFill ? "miss" : "bypass");
        return lookup;
    }

    /// <summary>Sends a PING for this caller, or joins the next one (one in flight at a time: the rest wait together).</summary>
    /// <returns>The wait, the connection it is on, and the cache's generation then (a hit must come from the same one).</returns>
    private (Task<bool> Heard, InvalidationConnection? Connection, long Generation) Barrier()
    {
        var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        InvalidationConnection? send;
        long token;
        long generation;
        lock (_gate)
        {
            if (_state != NearCacheState.Active || _live is null)
            {
                return (Refused, null, 0);
            }

            generation = _generation;

            if (_primary is { IsReplica: true } or { IsConnected: false })
            {
                // A failover made the registered server a replica (or the store lost it): what it says is no longer the whole truth.
                send = _live;
                token = -1;
            }
            else if (_inflight is not null)
            {
                (_waiting ??= []).Add(waiter);
                return (waiter.Task, _live, generation);
            }
            else
            {
                _inflight = [waiter];
                token = _inflightToken = ++_nextToken;
                send = _live;
            }
        }

        if (token < 0)
        {
            Fault(send, "the server it listens to is no longer the primary");
            return (Refused, null, 0);
        }

        _ = PingAsync(send, token);
        return (waiter.Task, send, generation);
    }

    private async Task PingAsync(InvalidationConnection connection, long token)
    {
        try
        {
            await connection.PingAsync(token, _store.Connection.Disposing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fault(connection, $"a PING could not be sent ({ex.GetType().Name})");
        }
    }

    /// <summary>A pong came back: its token must be the one in flight; its waiters have heard everything before it.</summary>
    private async ValueTask OnPongAsync(InvalidationConnection connection, long token)
    {
        List<TaskCompletionSource<bool>> done;
        long next = 0;
        lock (_gate)
        {
            if (!ReferenceEquals(connection, _live) || _inflight is null || token != _inflightToken)
            {
                throw new RedisReplyException("A pong out of step on the near cache's connection.");
            }

            done = _inflight;
            _inflight = null;
            if (_waiting is { Count: > 0 })
            {
                _inflight = _waiting;
                _waiting = null;
                next = _inflightToken = ++_nextToken;
            }
        }

        foreach (var waiter in done)
        {
            waiter.TrySetResult(true);
        }

        if (next > 0)
        {
            await connection.PingAsync(next, _store.Connection.Disposing).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var stopping = _store.Connection.Disposing;
        while (!stopping.IsCancellationRequested)
        {
            InvalidationConnection? connection = null;
            var reason = "the connection closed";
            try
            {
                var opened = await OpenAsync(stopping).ConfigureAwait(false);
                if (opened is null)
                {
                    return;
                }

                connection = opened;
                while (true)
                {
                    var message = await connection.ReadAsync(stopping).ConfigureAwait(false);
                    if (message.IsPong)
                    {
                        await OnPongAsync(connection, message.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        Invalidate(connection, message.Keys);
                    }
                }
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
                if (connection is not null)
                {
                    Fault(connection, reason);
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (connection is null && !stopping.IsCancellationRequested)
            {
                LogNotYet(_store.Logger, reason);
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

    /// <summary>Opens and registers a connection to the one primary, or says why not; null when the cache is off for good.</summary>
    private async Task<InvalidationConnection?> OpenAsync(CancellationToken stopping)
    {
        var multiplexer = await _store.Connection.GetMultiplexerAsync().ConfigureAwait(false);
        Hook(multiplexer);
        var capabilities = await _store.Connection.ProbeAsync().WaitAsync(_store.Options.OperationTimeout, _store.Time, stopping).ConfigureAwait(false);
        if (!capabilities.IsKnown)
        {
            throw new IOException($"the server's commands are not known yet ({capabilities})");
        }

        var servers = multiplexer.GetServers();
        string? unsupported = !capabilities.Supports("client|tracking")
            ? $"the server has no CLIENT TRACKING ({capabilities})"
            : servers.Any(static s => s.ServerType == ServerType.Cluster)
                ? "the server is a Cluster (one invalidation connection per primary is not built)"
                : null;
        if (unsupported is not null)
        {
            lock (_gate)
            {
                _state = NearCacheState.Unsupported;
            }

            LogUnsupported(_store.Logger, unsupported);
            return null;
        }

        var primaries = servers.Where(static s => s.IsConnected && !s.IsReplica).ToArray();
        if (primaries.Length != 1)
        {
            throw new IOException($"{primaries.Length} connected primaries, one expected");
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bound.CancelAfter(_store.Options.OperationTimeout * 2);
        var config = ConfigurationOptions.Parse(multiplexer.Configuration);
        var connection = await InvalidationConnection.OpenAsync(primaries[0].EndPoint, config, _prefix, bound.Token).ConfigureAwait(false);
        lock (_gate)
        {
            Clear();
            _live = connection;
            _primary = primaries[0];
            _state = NearCacheState.Active;
        }

        LogActive(_store.Logger, primaries[0].EndPoint.ToString() ?? "?", connection.ClientId);
        return connection;
    }

    /// <summary>Any change in the store's own connections (a drop, a failover) resets the cache's: cheap, rare, and never wrong.</summary>
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

        multiplexer.ConnectionFailed += (_, e) => FaultLive($"the store's connection to {e.EndPoint} failed ({e.FailureType})");
        multiplexer.ConfigurationChanged += (_, e) => FaultLive($"the servers' configuration changed ({e.EndPoint})");
    }

    private void FaultLive(string reason)
    {
        InvalidationConnection? live;
        lock (_gate)
        {
            live = _live;
        }

        if (live is not null)
        {
            Fault(live, reason);
        }
    }

    /// <summary>Drops a connection that can no longer be trusted: the cache is emptied and every waiting read goes to Redis.</summary>
    private void Fault(InvalidationConnection? connection, string reason)
    {
        List<TaskCompletionSource<bool>>? released = null;
        lock (_gate)
        {
            if (connection is null || !ReferenceEquals(connection, _live))
            {
                return;
            }

            _live = null;
            _primary = null;
            if (_state == NearCacheState.Active)
            {
                _state = NearCacheState.Connecting;
            }

            Clear();
            released = [.. _inflight ?? [], .. _waiting ?? []];
            _inflight = null;
            _waiting = null;
        }

        foreach (var waiter in released)
        {
            waiter.TrySetResult(false);
        }

        _store.Metrics.NearCacheResets.Add(1);
        LogReset(_store.Logger, reason);
        // Unblocks the reader (a fault found by a writer or a timeout): its loop then reconnects.
        _ = connection.DisposeAsync().AsTask();
    }

    private void Record(string outcome) =>
        _store.Metrics.NearCacheReads.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, outcome));
}
