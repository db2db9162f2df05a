using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// Counter bumps (<see cref="LuaScripts.Increment"/>) that meet, sent together (<see cref="ScriptBatcher{TResult}"/>).
/// The script checks and writes each session on its own and answers each in order; the "everyone at once" epoch it
/// reads once is read after every bump in the call began. Redis refuses a script's first write when it is out of
/// memory, so a call refused that way wrote nothing for any bump in it.
/// </summary>
internal sealed class CounterBatcher : ScriptBatcher<RedisResult>
{
    /// <summary>The most bumps in one call: each answer is a few integers, and the script runs for tens of microseconds.</summary>
    internal const int MaxBatch = 64;

    private readonly TimeProvider _time;
    private readonly RedisValue[] _limits;
    private readonly RedisKey _epochKey;

    /// <param name="time">The app's clock (the script's hint).</param>
    /// <param name="bound">The operation timeout.</param>
    /// <param name="metrics">Where the bumps per call are recorded.</param>
    /// <param name="limits">Max bytes, refresh granularity (ms), max fields: the same for every bump of a store.</param>
    /// <param name="epochKey">The "everyone at once" epoch.</param>
    public CounterBatcher(TimeProvider time, TimeSpan bound, TesseraMetrics metrics, RedisValue[] limits, RedisKey epochKey)
        : base(bound, MaxBatch, metrics, "incr")
    {
        _time = time;
        _limits = limits;
        _epochKey = epochKey;
    }

    /// <summary>The arguments of one <see cref="LuaScripts.Increment"/> call of <paramref name="count"/> bumps, less the bumps' own.</summary>
    internal static RedisValue[] ArgsFor(RedisValue[] limits, int count, long nowMs)
    {
        var args = new RedisValue[4 + (2 * count)];
        args[0] = limits[0];
        args[1] = limits[1];
        args[2] = limits[2];
        args[3] = nowMs;
        return args;
    }

    /// <summary>The one bump's reply of a call of one bump.</summary>
    internal static RedisResult Single(RedisResult reply)
    {
        var one = PartsOf(reply, 1, "1 counter bump")[0];
        return one.Resp2Type == ResultType.Array ? one : throw ErrorOf(one);
    }

    protected override Task<RedisResult> SendAsync(IDatabase db, List<Waiter> batch)
    {
        var args = ArgsFor(_limits, batch.Count, _time.GetUtcNow().ToUnixTimeMilliseconds());
        for (var i = 0; i < batch.Count; i++)
        {
            args[4 + (2 * i)] = batch[i].A;
            args[5 + (2 * i)] = batch[i].B;
        }

        return db.ScriptEvaluateAsync(LuaScripts.Increment, KeysOf(batch, _epochKey), args);
    }

    protected override void Deliver(List<Waiter> batch, RedisResult reply)
    {
        var parts = PartsOf(reply, batch.Count, $"{batch.Count} counter bumps");
        for (var i = 0; i < batch.Count; i++)
        {
            if (parts[i].Resp2Type == ResultType.Array)
            {
                batch[i].TrySetResult(parts[i]);
            }
            else
            {
                batch[i].TrySetException(ErrorOf(parts[i]));
            }
        }
    }
}
