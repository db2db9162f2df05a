using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// Session loads that meet, sent together (<see cref="ScriptBatcher{TResult}"/>, <see cref="LuaScripts.ReadMany"/>):
/// each session's hash and the "everyone at once" epoch, read in one step after every load in the call began.
/// A key that is not a hash fails its own load alone (<c>WRONGTYPE</c>, as its own <c>HGETALL</c> would; the script answers it as a string).
/// </summary>
internal sealed class ReadBatcher : ScriptBatcher<(HashEntry[] Reply, long? Epoch)>
{
    /// <summary>
    /// The most loads in one call. Lower than a bump's: each answer is a whole session, copied through the script's
    /// memory, so at <see cref="TesseraOptions.MaxSessionBytes"/>' default (1 MiB) one call holds at most 16 MiB.
    /// </summary>
    internal const int MaxBatch = 16;

    private readonly RedisKey _epochKey;

    /// <param name="bound">The operation timeout.</param>
    /// <param name="metrics">Where the loads per call are recorded.</param>
    /// <param name="epochKey">The "everyone at once" epoch.</param>
    public ReadBatcher(TimeSpan bound, TesseraMetrics metrics, RedisKey epochKey)
        : base(bound, MaxBatch, metrics, "load") => _epochKey = epochKey;

    protected override Task<RedisResult> SendAsync(IDatabase db, List<Waiter> batch) =>
        db.ScriptEvaluateAsync(LuaScripts.ReadMany, KeysOf(batch, _epochKey));

    protected override void Deliver(List<Waiter> batch, RedisResult reply)
    {
        var parts = PartsOf(reply, batch.Count + 1, $"{batch.Count} session reads");
        var epoch = parts[0].Resp2Type is ResultType.BulkString or ResultType.Integer ? EveryoneRevocation.EpochOf((RedisValue)parts[0]) : null;
        for (var i = 0; i < batch.Count; i++)
        {
            var hash = parts[i + 1];
            if (hash.Resp2Type != ResultType.Array)
            {
                batch[i].TrySetException(ErrorOf(hash));
                continue;
            }

            var flat = (RedisResult[])hash!;
            if (flat.Length % 2 != 0)
            {
                batch[i].TrySetException(new RedisReplyException("A session read was answered by something that is not a hash."));
                continue;
            }

            var entries = new HashEntry[flat.Length / 2];
            for (var k = 0; k < entries.Length; k++)
            {
                entries[k] = new HashEntry((RedisValue)flat[2 * k], (RedisValue)flat[(2 * k) + 1]);
            }

            batch[i].TrySetResult((entries, epoch));
        }
    }
}
