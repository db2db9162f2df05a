using System.Diagnostics;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// Counter bumps on a server that is not a Cluster, sent together: while one call of
/// <see cref="LuaScripts.Increment"/> is on its way, the bumps that arrive wait, and go as one call the moment it
/// answers (or at once when <see cref="MaxBatch"/> are waiting). A bump alone is sent at once, so at low load
/// nothing waits; under load many requests' bumps cost Redis one command to read, one script to start and one
/// answer to write, which is most of what a bump costs it. Each bump in a call is still its own: the script
/// checks and writes each session on its own and answers each in order, and the "everyone at once" epoch it reads
/// is read after every bump in the call began. A bump whose caller gave up (cancelled, or past
/// <see cref="TesseraOptions.OperationTimeout"/>) before its call is sent is never sent. A call that fails fails
/// every bump in it, with the call's failure (Redis refuses a script's first write, so nothing was written).
/// </summary>
internal sealed class CounterBatcher
{
    /// <summary>The most bumps in one call: a script of that many runs for tens of microseconds.</summary>
    internal const int MaxBatch = 64;

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _bound;
    private readonly TesseraMetrics _metrics;
    private List<Bump> _waiting = [];
    private int _inFlight;
    private (IDatabase Db, RedisValue[] Limits, RedisKey EpochKey) _newest;

    public CounterBatcher(TimeProvider time, TimeSpan bound, TesseraMetrics metrics)
    {
        _time = time;
        _bound = bound;
        _metrics = metrics;
    }

    /// <summary>Bumps one counter, with the epoch key in the script: the reply of that bump alone.</summary>
    /// <param name="db">The database to send on (the newest caller's is used for the call).</param>
    /// <param name="key">The session's key.</param>
    /// <param name="field">The counter's field.</param>
    /// <param name="delta">The delta.</param>
    /// <param name="limits">Max bytes, refresh granularity, max fields: the same for every bump of a store.</param>
    /// <param name="epochKey">The "everyone at once" epoch.</param>
    /// <param name="cancellationToken">The caller's token: a bump cancelled before its call is sent is not sent.</param>
    /// <returns>This bump's reply.</returns>
    public Task<RedisResult> BumpAsync(IDatabase db, RedisKey key, RedisValue field, RedisValue delta, RedisValue[] limits, RedisKey epochKey, CancellationToken cancellationToken)
    {
        var bump = new Bump(key, field, delta, Stopwatch.GetTimestamp() + (long)(_bound.TotalSeconds * Stopwatch.Frequency), cancellationToken);
        List<Bump>? send = null;
        lock (_gate)
        {
            _waiting.Add(bump);
            _newest = (db, limits, epochKey);
            if (_inFlight == 0 || _waiting.Count >= MaxBatch)
            {
                send = _waiting;
                _waiting = [];
                _inFlight++;
            }
        }

        if (send is not null)
        {
            _ = SendAsync(db, send, limits, epochKey);
        }

        return bump.Task;
    }

    /// <summary>Sends a call, then, while bumps are waiting and no other call is on its way, the next.</summary>
    private async Task SendAsync(IDatabase db, List<Bump> batch, RedisValue[] limits, RedisKey epochKey)
    {
        while (true)
        {
            batch.RemoveAll(static b => b.GaveUp());
            if (batch.Count > 0)
            {
                await CallAsync(db, batch, limits, epochKey).ConfigureAwait(false);
            }

            lock (_gate)
            {
                // Another call on its way (a full batch went meanwhile) takes the waiting bumps when it answers.
                if (_waiting.Count == 0 || _inFlight > 1)
                {
                    _inFlight--;
                    return;
                }

                batch = _waiting;
                _waiting = [];
                (db, limits, epochKey) = _newest;
            }
        }
    }

    private async Task CallAsync(IDatabase db, List<Bump> batch, RedisValue[] limits, RedisKey epochKey)
    {
        _metrics.CounterBatchSize.Record(batch.Count);
        var keys = new RedisKey[batch.Count + 1];
        var args = new RedisValue[4 + (2 * batch.Count)];
        args[0] = limits[0];
        args[1] = limits[1];
        args[2] = limits[2];
        args[3] = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < batch.Count; i++)
        {
            keys[i] = batch[i].Key;
            args[4 + (2 * i)] = batch[i].Field;
            args[5 + (2 * i)] = batch[i].Delta;
        }

        keys[batch.Count] = epochKey;
        Task<RedisResult>? call = null;
        try
        {
            call = db.ScriptEvaluateAsync(LuaScripts.Increment, keys, args);

            // Bounded as each caller is: a call that never answers (its callers have given up by then) does not
            // hold back the bumps behind it past the bound.
            Deliver(batch, await call.WaitAsync(_bound).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            if (call is { IsCompleted: false })
            {
                _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            foreach (var bump in batch)
            {
                bump.TrySetException(ex);
            }
        }
    }

    /// <summary>Hands each bump its own reply: one per bump, in order, or the call is out of step for all.</summary>
    private static void Deliver(List<Bump> batch, RedisResult reply)
    {
        if (reply.Resp2Type != ResultType.Array || reply.Length != batch.Count)
        {
            var mismatch = new RedisReplyException($"A counter call of {batch.Count} bumps was answered by {(reply.Resp2Type == ResultType.Array ? reply.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " replies" : "a " + reply.Resp2Type + " reply")}.");
            foreach (var bump in batch)
            {
                bump.TrySetException(mismatch);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var one = reply[i];
            if (one.Resp2Type == ResultType.Error)
            {
                batch[i].TrySetException(ErrorOf(one));
            }
            else
            {
                batch[i].TrySetResult(one);
            }
        }
    }

    /// <summary>The error Redis raised for one bump, as the exception a call of its own would have failed with.</summary>
    internal static RedisServerException ErrorOf(RedisResult one) => new(RedisErrorKind.Unknown, CommandFlags.None, one.ToString() ?? "ERR");

    /// <summary>One waiting bump: its arguments and its caller's task.</summary>
    private sealed class Bump(RedisKey key, RedisValue field, RedisValue delta, long deadline, CancellationToken cancellationToken)
        : TaskCompletionSource<RedisResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public RedisKey Key { get; } = key;

        public RedisValue Field { get; } = field;

        public RedisValue Delta { get; } = delta;

        /// <summary>Whether its caller gave up before it was sent: then it never is.</summary>
        public bool GaveUp()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return TrySetCanceled(cancellationToken) || true;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                TrySetException(new TimeoutException("The counter bump waited past the operation timeout and was not sent."));
                return true;
            }

            return false;
        }
    }
}
