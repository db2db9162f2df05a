using System.Diagnostics;
using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace Tessera.Redis;

/// <summary>
/// Calls of one kind that meet go to Redis together, on a server that is not a Cluster (where every key is on one
/// node): while one script call is on its way, the calls that arrive wait, and go as one script call the moment it
/// answers (or at once when as many as the kind's most are waiting). A call alone is sent at once, so at low load
/// nothing waits; under load many requests cost Redis one command to read, one script to start and one answer to
/// write, and the app one command to send, check (<see cref="TesseraConnection.ChecksReplies"/>) and read, which is
/// most of what a small call costs either. Every call in a script call was made before it was sent, so it sees every
/// write that finished before its caller asked. Each call is answered on its own (<see cref="Deliver"/>), in order;
/// a script call answered by anything but one reply per call fails them all as out of step. A call whose caller gave
/// up (cancelled, or past <see cref="TesseraOptions.OperationTimeout"/>) before it was sent is never sent. A script
/// call that fails fails every call in it with its failure.
/// </summary>
/// <typeparam name="TResult">What one call is answered with.</typeparam>
internal abstract class ScriptBatcher<TResult>
{
    private readonly object _gate = new();
    private readonly TimeSpan _bound;
    private readonly int _maxBatch;
    private readonly Histogram<long> _sizes;
    private readonly KeyValuePair<string, object?> _operation;
    private List<Waiter> _waiting = [];
    private int _inFlight;
    private IDatabase? _newest;

    /// <param name="bound">The operation timeout: how long a call may wait to be sent, and a script call be waited for.</param>
    /// <param name="maxBatch">The most calls in one script call.</param>
    /// <param name="metrics">Where the calls per script call are recorded (<see cref="TesseraMetrics.BatchSize"/>).</param>
    /// <param name="operation">The operation, for the metric.</param>
    protected ScriptBatcher(TimeSpan bound, int maxBatch, TesseraMetrics metrics, string operation)
    {
        _bound = bound;
        _maxBatch = maxBatch;
        _sizes = metrics.BatchSize;
        _operation = new(TesseraTelemetry.OperationTag, operation);
    }

    /// <summary>Makes one call: sent now when no script call is on its way, else with the next.</summary>
    /// <param name="db">The database to send on (the newest caller's is used for a script call).</param>
    /// <param name="key">The call's key.</param>
    /// <param name="a">Its first argument, if any.</param>
    /// <param name="b">Its second argument, if any.</param>
    /// <param name="cancellationToken">The caller's token: a call cancelled before it is sent is not sent.</param>
    /// <returns>This call's answer.</returns>
    public Task<TResult> CallAsync(IDatabase db, RedisKey key, RedisValue a, RedisValue b, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(key, a, b, Stopwatch.GetTimestamp() + (long)(_bound.TotalSeconds * Stopwatch.Frequency), cancellationToken);
        List<Waiter>? send = null;
        lock (_gate)
        {
            _waiting.Add(waiter);
            _newest = db;
            if (_inFlight == 0 || _waiting.Count >= _maxBatch)
            {
                send = _waiting;
                _waiting = [];
                _inFlight++;
            }
        }

        if (send is not null)
        {
            // The loop outlives this caller (it sends the calls that meet after it): it does not carry the caller's
            // context (its span, its request's async locals) along.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _ = SendLoopAsync(db, send);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _ = SendLoopAsync(db, send);
                }
            }
        }

        return waiter.Task;
    }

    /// <summary>Sends one script call for <paramref name="batch"/> (at least one call).</summary>
    protected abstract Task<RedisResult> SendAsync(IDatabase db, List<Waiter> batch);

    /// <summary>Answers each call of <paramref name="batch"/> from the script call's reply; throws <see cref="RedisReplyException"/> when the reply is not one per call.</summary>
    protected abstract void Deliver(List<Waiter> batch, RedisResult reply);

    /// <summary>The keys of a script call: each call's key in order, then <paramref name="last"/> (the "everyone at once" epoch).</summary>
    protected static RedisKey[] KeysOf(List<Waiter> batch, RedisKey last)
    {
        var keys = new RedisKey[batch.Count + 1];
        for (var i = 0; i < batch.Count; i++)
        {
            keys[i] = batch[i].Key;
        }

        keys[batch.Count] = last;
        return keys;
    }

    /// <summary>The reply's parts when it is an array of <paramref name="count"/>, else out of step.</summary>
    protected static RedisResult[] PartsOf(RedisResult reply, int count, string what)
    {
        if (reply.Resp2Type != ResultType.Array || reply.Length != count)
        {
            throw new RedisReplyException($"A call of {what} was answered by {(reply.Resp2Type == ResultType.Array ? reply.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " replies" : "a " + reply.Resp2Type + " reply")}.");
        }

        return (RedisResult[])reply!;
    }

    /// <summary>The error Redis raised for one call (a script answers it as a string), as the exception a command of its own would have failed with.</summary>
    internal static RedisServerException ErrorOf(RedisResult one) => new(RedisErrorKind.Unknown, CommandFlags.None, one.ToString() ?? "ERR");

    /// <summary>Sends a script call, then, while calls are waiting and no other script call is on its way, the next.</summary>
    private async Task SendLoopAsync(IDatabase db, List<Waiter> batch)
    {
        while (true)
        {
            batch.RemoveAll(static w => w.GaveUp());
            if (batch.Count > 0)
            {
                await SendOneAsync(db, batch).ConfigureAwait(false);
            }

            lock (_gate)
            {
                // Another script call on its way (a full batch went meanwhile) takes the waiting calls when it answers.
                if (_waiting.Count == 0 || _inFlight > 1)
                {
                    _inFlight--;
                    return;
                }

                batch = _waiting;
                _waiting = [];
                db = _newest!;
            }
        }
    }

    private async Task SendOneAsync(IDatabase db, List<Waiter> batch)
    {
        Task<RedisResult>? call = null;
        try
        {
            _sizes.Record(batch.Count, _operation);
            call = SendAsync(db, batch);

            // Bounded as each caller is: a script call that never answers (its callers have given up by then) does
            // not hold back the calls behind it past the bound.
            Deliver(batch, await call.WaitAsync(_bound).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            if (call is { IsCompleted: false })
            {
                _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            foreach (var waiter in batch)
            {
                waiter.TrySetException(ex);
            }
        }
    }

    /// <summary>One waiting call: its arguments and its caller's task.</summary>
    protected sealed class Waiter(RedisKey key, RedisValue a, RedisValue b, long deadline, CancellationToken cancellationToken)
        : TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public RedisKey Key { get; } = key;

        public RedisValue A { get; } = a;

        public RedisValue B { get; } = b;

        /// <summary>Whether its caller gave up before it was sent: then it never is.</summary>
        public bool GaveUp()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                TrySetCanceled(cancellationToken);
                return true;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                TrySetException(new TimeoutException("The call waited past the operation timeout and was not sent."));
                return true;
            }

            return false;
        }
    }
}
