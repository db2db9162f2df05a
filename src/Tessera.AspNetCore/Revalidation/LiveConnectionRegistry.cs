using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// This instance's SignalR connections that belong to a Tessera login or signed-in session, re-checked at
/// once when a revocation notice names one of them (<see cref="RevocationFeed"/>: any instance's logout or
/// revocation), and every <see cref="TesseraRevalidationOptions.Interval"/> in case a notice was lost: one
/// pipelined round trip per check for all of them (one <c>HMGET</c> per distinct login), and a connection
/// whose login or session was ended anywhere is aborted. A rotated session is followed to the session it became.
/// </summary>
internal sealed class LiveConnectionRegistry(
    RedisSessionStore store,
    IOptions<TesseraRevalidationOptions> options,
    TimeProvider time,
    ILogger<LiveConnectionRegistry> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Entry> _connections = new(StringComparer.Ordinal);

    // How many watched connections each handle has: a notice is matched by its handles, not by every connection.
    private readonly Dictionary<string, int> _watched = new(StringComparer.Ordinal);
    private readonly Lock _watchedGate = new();
    private volatile TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many connections are watched (for tests and diagnostics).</summary>
    public int Count => _connections.Count;

    /// <summary>Watches a connection.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="handle">The handle of its login or session.</param>
    public void Add(HubCallerContext connection, string handle) => Replace(connection.ConnectionId, new Entry(connection, handle));

    /// <summary>Stops watching a connection.</summary>
    /// <param name="connectionId">Its id.</param>
    public void Remove(string connectionId)
    {
        lock (_watchedGate)
        {
            if (_connections.TryRemove(connectionId, out var entry))
            {
                Unwatch(entry.Handle);
            }
        }
    }

    /// <summary>Whether a connection was found revoked (its calls are refused until it has closed).</summary>
    /// <param name="connectionId">Its id.</param>
    /// <returns>Whether it was revoked.</returns>
    public bool IsRevoked(string connectionId) => _connections.TryGetValue(connectionId, out var entry) && entry.Revoked;

    /// <summary>Re-checks every watched connection once.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many connections were closed.</returns>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var snapshot = _connections.Values.Where(static e => !e.Revoked).ToList();
        if (snapshot.Count == 0)
        {
            return 0;
        }

        var handles = snapshot.Select(static e => e.Handle).Distinct(StringComparer.Ordinal).ToList();
        string?[] live;
        try
        {
            live = await store.Users.LiveHandlesAsync(handles, cancellationToken).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex)
        {
            RevalidationLog.CheckUnavailable(logger, ex.Message);
            return 0;
        }

        var now = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var n = 0; n < handles.Count; n++)
        {
            now[handles[n]] = live[n];
        }

        var closed = 0;
        foreach (var group in snapshot.GroupBy(static e => e.Handle, StringComparer.Ordinal))
        {
            var current = now[group.Key];
            var count = 0;
            foreach (var entry in group)
            {
                if (current is null)
                {
                    entry.Revoked = true;
                    entry.Connection.Abort();
                    count++;
                }
                else if (current != entry.Handle)
                {
                    Replace(entry.Connection.ConnectionId, new Entry(entry.Connection, current));
                }
            }

            if (count > 0)
            {
                closed += count;
                RevalidationLog.ConnectionsClosed(logger, count, SessionIds.TagOfHandle(group.Key));
            }
        }

        return closed;
    }

    /// <summary>A notice that concerns a watched connection wakes the loop now (on the feed's thread: only a signal).</summary>
    private void OnNotice(RevocationNotice notice)
    {
        bool concerns;
        lock (_watchedGate)
        {
            concerns = _watched.Count > 0
                && (notice.Scope is RevocationScope.Everyone or RevocationScope.Resync || notice.Handles.Any(_watched.ContainsKey));
        }

        if (concerns)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>Sets a connection's entry (a new one, or the handle a rotation moved it to), keeping the handle counts.</summary>
    private void Replace(string connectionId, Entry entry)
    {
        lock (_watchedGate)
        {
            if (_connections.TryGetValue(connectionId, out var old))
            {
                Unwatch(old.Handle);
            }

            _connections[connectionId] = entry;
            _watched[entry.Handle] = _watched.GetValueOrDefault(entry.Handle) + 1;
        }
    }

    private void Unwatch(string handle)
    {
        if (_watched.TryGetValue(handle, out var count))
        {
            if (count <= 1)
            {
                _watched.Remove(handle);
            }
            else
            {
                _watched[handle] = count - 1;
            }
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var notices = store.Revocations.Subscribe(OnNotice);
        var interval = options.Value.Interval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = _wake.Task;
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    await Task.WhenAny(Task.Delay(interval, time, tick.Token), wake).ConfigureAwait(false);
                    await tick.CancelAsync().ConfigureAwait(false);
                }

                stoppingToken.ThrowIfCancellationRequested();
                if (wake.IsCompleted)
                {
                    // A fresh signal for notices that come during this check: they are checked again after it.
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                try
                {
                    await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    RevalidationLog.CheckFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private sealed class Entry(HubCallerContext connection, string handle)
    {
        public HubCallerContext Connection { get; } = connection;

        public string Handle { get; } = handle;

        public bool Revoked { get; set; }
    }
}
