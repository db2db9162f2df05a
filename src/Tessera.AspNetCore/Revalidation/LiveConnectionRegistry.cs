using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// This instance's SignalR connections that belong to a Tessera login or signed-in session, re-checked
/// every <see cref="TesseraRevalidationOptions.Interval"/>: one pipelined round trip per tick for all of
/// them (one <c>HMGET</c> per distinct login), and a connection whose login or session was ended anywhere
/// is aborted. A rotated session is followed to the session it became.
/// </summary>
internal sealed class LiveConnectionRegistry(
    RedisSessionStore store,
    IOptions<TesseraRevalidationOptions> options,
    TimeProvider time,
    ILogger<LiveConnectionRegistry> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Entry> _connections = new(StringComparer.Ordinal);

    /// <summary>How many connections are watched (for tests and diagnostics).</summary>
    public int Count => _connections.Count;

    /// <summary>Watches a connection.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="handle">The handle of its login or session.</param>
    public void Add(HubCallerContext connection, string handle) => _connections[connection.ConnectionId] = new Entry(connection, handle);

    /// <summary>Stops watching a connection.</summary>
    /// <param name="connectionId">Its id.</param>
    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

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
                    _connections[entry.Connection.ConnectionId] = new Entry(entry.Connection, current);
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

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
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
