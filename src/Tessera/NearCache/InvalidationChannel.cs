using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// One primary's invalidations and the "caught up" wait on them: its registered
/// <see cref="InvalidationConnection"/>, and at most one <c>PING {token}</c> in flight on it. A wait that
/// begins while a <c>PING</c> is in flight cannot use it (it may have reached Redis before a write the
/// waiter must see), so it joins the next one, sent when the pong of the one in flight is back: under
/// load one <c>PING</c> serves every read that arrived during the last round trip.
/// </summary>
internal sealed class InvalidationChannel(InvalidationConnection connection, IServer primary)
{
    private readonly Lock _gate = new();
    private long _nextToken;
    private long _inflightToken;
    private List<TaskCompletionSource<bool>>? _inflight;
    private List<TaskCompletionSource<bool>>? _waiting;
    private bool _closed;

    /// <summary>The registered connection.</summary>
    public InvalidationConnection Connection { get; } = connection;

    /// <summary>The primary it listens to, as the store's multiplexer sees it.</summary>
    public IServer Primary { get; } = primary;

    /// <summary>Whether what it says is still the primary's whole truth (a failover may have made it a replica).</summary>
    public bool OnPrimary => Primary.IsConnected && !Primary.IsReplica;

    /// <summary>
    /// A wait that completes with true once a <c>PING</c> sent after this call has come back (every
    /// invalidation queued before it has been applied), or false once the channel is closed.
    /// </summary>
    /// <param name="send">Set to the token to send now, or 0 when the wait joined a later <c>PING</c>.</param>
    /// <returns>The wait.</returns>
    public Task<bool> Wait(out long send)
    {
        var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            send = 0;
            if (_closed)
            {
                return Task.FromResult(false);
            }

            if (_inflight is not null)
            {
                (_waiting ??= []).Add(waiter);
            }
            else
            {
                _inflight = [waiter];
                send = _inflightToken = ++_nextToken;
            }
        }

        return waiter.Task;
    }

    /// <summary>
    /// A pong came back: it must carry the token in flight. Its waiters are released; the next
    /// <c>PING</c>, for those who arrived meanwhile, is returned to be sent.
    /// </summary>
    /// <param name="token">The pong's token.</param>
    /// <returns>The token to send next, or 0.</returns>
    /// <exception cref="RedisReplyException">A pong nothing waits for, or for another token: the connection is out of step.</exception>
    public long OnPong(long token)
    {
        List<TaskCompletionSource<bool>> done;
        long next = 0;
        lock (_gate)
        {
            if (_closed || _inflight is null || token != _inflightToken)
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

        return next;
    }

    /// <summary>Closes the channel: every wait, now and later, completes with false.</summary>
    public void Close()
    {
        List<TaskCompletionSource<bool>> released;
        lock (_gate)
        {
            _closed = true;
            released = [.. _inflight ?? [], .. _waiting ?? []];
            _inflight = null;
            _waiting = null;
        }

        foreach (var waiter in released)
        {
            waiter.TrySetResult(false);
        }
    }
}
