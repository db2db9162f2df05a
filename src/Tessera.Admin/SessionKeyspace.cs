using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>
/// Walks the keys under a Tessera prefix on every master (standalone, Sentinel or Cluster) with
/// <c>SCAN</c>, never <c>KEYS</c>, pausing every few batches (or samples them), and reads what each key holds
/// (<c>SessionKeyspace.Read.cs</c>). Values are never read here. Shared by the CLI and the dashboard.
/// </summary>
public sealed partial class SessionKeyspace
{
    private readonly AdminScanOptions _options;
    private readonly TimeProvider _time;
    private readonly string _userPrefix;
    private readonly string _lockPrefix;
    private readonly string _analyticsPrefix;

    /// <summary>Creates the walker.</summary>
    /// <param name="multiplexer">A connected multiplexer.</param>
    /// <param name="prefix">The key prefix (default <c>session:</c>).</param>
    /// <param name="options">Scan pacing.</param>
    /// <param name="timeProvider">The clock for pauses.</param>
    public SessionKeyspace(IConnectionMultiplexer multiplexer, string prefix, AdminScanOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Multiplexer = multiplexer;
        Prefix = prefix;
        _options = options ?? new AdminScanOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _userPrefix = prefix + SessionLayout.UserInfix;
        _lockPrefix = prefix + SessionLayout.LockInfix;
        _analyticsPrefix = Tessera.Analytics.AnalyticsLayout.PrefixOf(prefix);
    }

    /// <summary>The multiplexer.</summary>
    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>The key prefix.</summary>
    public string Prefix { get; }

    /// <summary>The scan pacing.</summary>
    public AdminScanOptions Options => _options;

    /// <summary>The database keys are read from.</summary>
    public IDatabase Database => Multiplexer.GetDatabase(_options.Database ?? -1);

    /// <summary>The connected masters, sorted by endpoint so that a <see cref="ScanPosition"/> stays meaningful.</summary>
    /// <returns>The masters.</returns>
    /// <exception cref="TesseraUnavailableException">No master is connected.</exception>
    public IReadOnlyList<IServer> Masters()
    {
        var masters = Multiplexer.GetServers()
            .Where(static s => s.IsConnected && !s.IsReplica)
            .OrderBy(static s => s.EndPoint.ToString(), StringComparer.Ordinal)
            .ToArray();
        return masters.Length > 0
            ? masters
            : throw new TesseraUnavailableException("No connected Redis master to scan.");
    }

    /// <summary>The total number of keys on every master (all keys, not just sessions): the bound for progress bars.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The sum of <c>DBSIZE</c>.</returns>
    public async Task<long> CountAllKeysAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        foreach (var server in Masters())
        {
            total += await server.DatabaseSizeAsync(DatabaseNumber).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>The Redis server's clock (of the first master), which every session time is relative to.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Now, as Redis sees it.</returns>
    public async Task<DateTimeOffset> ServerTimeAsync(CancellationToken cancellationToken = default)
    {
        var time = await Masters()[0].TimeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc));
    }

    /// <summary>The Redis key of a session, from its handle.</summary>
    /// <param name="handle">The session's handle (<see cref="SessionIds.Handle"/> of its identifier, as scans list it).</param>
    /// <returns><c>{prefix}{handle}</c>.</returns>
    public RedisKey KeyFor(string handle) => SessionLayout.SessionKey(Prefix, handle);

    /// <summary>
    /// What an operator typed, as a handle: a handle when a key of that name exists under the prefix,
    /// else the handle of it read as a session identifier (so a full id, say from a user's cookie, works
    /// too; it is hashed here and never sent to Redis). Both have the same form; 256-bit hashes do not collide.
    /// </summary>
    /// <param name="handleOrId">A handle (as <c>tessera list</c> prints it) or a full session identifier.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="ArgumentException">The text is neither.</exception>
    public async Task<string> ResolveHandleAsync(string handleOrId, CancellationToken cancellationToken = default)
    {
        if (!SessionIds.IsValid(handleOrId))
        {
            throw new ArgumentException("Not a session handle or identifier (43 base64url characters).", nameof(handleOrId));
        }

        var exists = await Database.KeyExistsAsync(KeyFor(handleOrId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return exists ? handleOrId : SessionIds.Handle(handleOrId);
    }

    /// <summary>The user index key of a user.</summary>
    /// <param name="userId">The user identifier.</param>
    /// <returns><c>{prefix}user:{userId}</c>.</returns>
    public RedisKey UserKeyFor(string userId) => string.Concat(_userPrefix, userId);

    /// <summary>Classifies a key by its name alone.</summary>
    /// <param name="key">A key under the prefix.</param>
    /// <returns><see cref="SessionKeyKind.Session"/> for a key that may hold a session or tombstone (its name ends in a well-formed identifier), else the kind.</returns>
    public SessionKeyKind ClassifyName(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(_userPrefix, StringComparison.Ordinal))
        {
            return SessionKeyKind.UserIndex;
        }

        if (key.StartsWith(_lockPrefix, StringComparison.Ordinal))
        {
            return SessionKeyKind.Lock;
        }

        if (key.StartsWith(_analyticsPrefix, StringComparison.Ordinal))
        {
            return SessionKeyKind.Analytics;
        }

        return key.StartsWith(Prefix, StringComparison.Ordinal) && SessionIds.IsValid(key.AsSpan(Prefix.Length))
            ? SessionKeyKind.Session
            : SessionKeyKind.Foreign;
    }

    /// <summary>
    /// Scans every master from <paramref name="from"/> on, one <c>SCAN ... MATCH {prefix}* COUNT n</c>
    /// at a time, pausing as <see cref="AdminScanOptions"/> says.
    /// </summary>
    /// <param name="from">Where to start; <see langword="null"/> for the beginning.</param>
    /// <param name="cancellationToken">Stops the scan between batches.</param>
    /// <returns>The batches, in order.</returns>
    public async IAsyncEnumerable<KeyBatch> ScanAsync(ScanPosition? from = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var masters = Masters();
        var pattern = EscapeGlob(Prefix) + "*";
        var batches = 0;
        for (var server = from?.Server ?? 0; server < masters.Count; server++)
        {
            var cursor = from is not null && server == from.Server ? from.Cursor : 0UL;
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reply = await masters[server].ExecuteAsync(
                    _options.Database,
                    "SCAN",
                    [cursor.ToString(CultureInfo.InvariantCulture), "MATCH", pattern, "COUNT", _options.Count],
                    CommandFlags.None).WaitAsync(cancellationToken).ConfigureAwait(false);
                var parts = (RedisResult[])reply!;
                var next = ulong.Parse((string)parts[0]!, NumberStyles.None, CultureInfo.InvariantCulture);
                var keys = ((RedisResult[])parts[1]!).Select(static k => (RedisKey)k).ToArray();
                yield return new KeyBatch(server, cursor, next, keys);
                cursor = next;
                if (_options.PauseEvery > 0 && ++batches % _options.PauseEvery == 0 && _options.Pause > TimeSpan.Zero)
                {
                    await Task.Delay(_options.Pause, _time, cancellationToken).ConfigureAwait(false);
                }
            }
            while (cursor != 0);
        }
    }

    /// <summary>
    /// Whether a run of <c>SCAN</c> from a random cursor is a random sample of the keys: true on Redis and
    /// Valkey, whose cursor walks a hash table (the bucket of a key is its hash, unrelated to what the key
    /// holds); false on Garnet, whose cursor walks its log in order of writing (oldest keys first).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether <see cref="SampleAsync"/> gives a random sample on every master.</returns>
    public async Task<bool> SupportsSamplingAsync(CancellationToken cancellationToken = default)
    {
        foreach (var server in Masters())
        {
            var info = new RedisInfo(await server.InfoRawAsync("server").WaitAsync(cancellationToken).ConfigureAwait(false));
            if (info["garnet_version"] is not null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A random sample of about <paramref name="keys"/> keys of one master, of every name (no <c>MATCH</c>,
    /// so the share of session keys among all keys can be estimated): <c>SCAN</c> from a random cursor on,
    /// wrapping once past the end, paced as <see cref="AdminScanOptions"/> says. On Redis and Valkey a
    /// cursor is a bucket of the key table and a key's bucket is its hash, so a run of buckets is a random
    /// set of keys (see <see cref="SupportsSamplingAsync"/>).
    /// </summary>
    /// <param name="server">The index of the master in <see cref="Masters"/>.</param>
    /// <param name="keys">About how many keys (the last batch may go over). Ask for fewer than the master holds: past the end the walk wraps to the start once, so a master with fewer keys than asked gives some twice (scan such a keyspace in full instead).</param>
    /// <param name="random">Picks the starting cursor; <see langword="null"/> for <see cref="Random.Shared"/>.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The batches.</returns>
    public async IAsyncEnumerable<KeyBatch> SampleAsync(int server, int keys, Random? random = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var masters = Masters();
        ArgumentOutOfRangeException.ThrowIfNegative(server);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(server, masters.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(keys);
        var start = (ulong)(uint)(random ?? Random.Shared).Next(int.MinValue, int.MaxValue);
        var cursor = start;
        var wrapped = false;
        var taken = 0;
        var batches = 0;

        // Bounded: every call moves the cursor on; the walk stops at the wanted count or the second end.
        while (taken < keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = await masters[server].ExecuteAsync(
                _options.Database,
                "SCAN",
                [cursor.ToString(CultureInfo.InvariantCulture), "COUNT", Math.Min(_options.Count, Math.Max(10, keys - taken))],
                CommandFlags.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            var next = ulong.Parse((string)parts[0]!, NumberStyles.None, CultureInfo.InvariantCulture);
            var batch = ((RedisResult[])parts[1]!).Select(static k => (RedisKey)k).ToArray();
            taken += batch.Length;
            yield return new KeyBatch(server, cursor, next, batch);
            if (next == 0)
            {
                if (wrapped || start == 0)
                {
                    yield break;
                }

                wrapped = true;
            }

            cursor = next;
            if (_options.PauseEvery > 0 && ++batches % _options.PauseEvery == 0 && _options.Pause > TimeSpan.Zero)
            {
                await Task.Delay(_options.Pause, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private int DatabaseNumber => _options.Database ?? Database.Database;

    /// <summary>Escapes the glob characters of a literal for <c>SCAN MATCH</c>.</summary>
    /// <param name="literal">The text to match literally.</param>
    /// <returns>The escaped pattern.</returns>
    internal static string EscapeGlob(string literal)
    {
        var builder = new StringBuilder(literal.Length + 4);
        foreach (var c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
