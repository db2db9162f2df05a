using StackExchange.Redis;

namespace Tessera.Admin;

/// <summary>One <c>SCAN</c> reply: the keys it returned and where it was.</summary>
/// <param name="Server">The index of the master in <see cref="SessionKeyspace.Masters"/>.</param>
/// <param name="Cursor">The cursor this batch was asked for.</param>
/// <param name="NextCursor">The cursor the server returned (0 when that master is done).</param>
/// <param name="Keys">The keys that matched the prefix.</param>
public sealed record KeyBatch(int Server, ulong Cursor, ulong NextCursor, IReadOnlyList<RedisKey> Keys);
