using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>
/// The session store: one Redis hash per session, read and written by single-key Lua scripts.
/// Every operation is one round trip, bounded by <see cref="TesseraOptions.OperationTimeout"/>;
/// a Redis that cannot be reached surfaces as <see cref="TesseraUnavailableException"/>.
/// </summary>
public sealed partial class RedisSessionStore
{
    private const int MaxRotationHops = 4;

    private readonly TesseraConnection _connection;
    private readonly TesseraOptions _options;
    private readonly ValueCodec _codec;
    private readonly ILogger _logger;
    private readonly TesseraMetrics _metrics;
    private readonly RedisValue _granularityMs;
    private readonly RedisValue _maxBytes;
    private readonly ITesseraObserver[] _observers;

    /// <summary>Creates the store.</summary>
    /// <param name="connection">The shared Redis connection.</param>
    /// <param name="options">The store options.</param>
    /// <param name="codec">The value codec (plain, or with compression and encryption).</param>
    /// <param name="metrics">The metrics instruments.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="observers">The event observers.</param>
    public RedisSessionStore(
        TesseraConnection connection,
        IOptions<TesseraOptions> options,
        ValueCodec? codec = null,
        TesseraMetrics? metrics = null,
        ILogger<RedisSessionStore>? logger = null,
        IEnumerable<ITesseraObserver>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _options = options.Value;
        _codec = codec ?? new ValueCodec();
        _metrics = metrics ?? new TesseraMetrics();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _granularityMs = _options.RefreshGranularity is { } granularity ? Math.Max(1L, (long)granularity.TotalMilliseconds) : 0L;
        _maxBytes = _options.MaxSessionBytes;
        _observers = observers?.ToArray() ?? [];
    }

    /// <summary>The value codec.</summary>
    public ValueCodec Codec => _codec;

    /// <summary>The options in force.</summary>
    public TesseraOptions Options => _options;

    /// <summary>The metrics instruments.</summary>
    public TesseraMetrics Metrics => _metrics;

    /// <summary>The shared connection.</summary>
    public TesseraConnection Connection => _connection;

    /// <summary>The Redis key of a session.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}{id}</c>.</returns>
    public RedisKey KeyFor(string id) => string.Concat(_options.KeyPrefix, id);

    /// <summary>
    /// Loads a session in one round trip: a plain <c>HGETALL</c>, no script. The key's TTL is
    /// <c>min(idle, deadline - now)</c>, so a key that exists is within both timeouts; the app decides
    /// whether the sliding refresh is due and, when it is (at most once per granularity), sends the
    /// conditional <c>Refresh</c> script without waiting for it. The refresh cannot create a key nor
    /// lengthen a tombstone.
    /// </summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What was found.</returns>
    public async Task<LoadResult> LoadAsync(string id, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        var start = Stopwatch.GetTimestamp();
        var key = KeyFor(id);
        HashEntry[] entries;
        try
        {
            entries = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            entries = WrongType;
        }

        _metrics.LoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return ParseLoad(id, key, entries);
    }

    /// <summary>Loads a session synchronously (for <c>ISession.TryGetValue</c> without a prior <c>LoadAsync</c>).</summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <returns>What was found.</returns>
    public LoadResult Load(string id)
    {
        ThrowIfMalformed(id);
        var start = Stopwatch.GetTimestamp();
        var key = KeyFor(id);
        HashEntry[] entries;
        try
        {
            entries = Read(key);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            entries = WrongType;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("load", ex);
        }

        _metrics.LoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return ParseLoad(id, key, entries);
    }

    /// <summary>Stands for a key of another type: never a session.</summary>
    private static readonly HashEntry[] WrongType = [new HashEntry("#wrongtype", 1)];

    private async Task<HashEntry[]> ReadCoreAsync(RedisKey key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var left = _options.OperationTimeout - Stopwatch.GetElapsedTime(started);
                var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
                return await db.HashGetAllAsync(key)
                    .WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RedisConnectionException) when (attempt == 1 && Stopwatch.GetElapsedTime(started) < _options.OperationTimeout)
            {
                // A read is always safe to send again.
                LogReplayed(_logger, "load");
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                throw Unavailable("load", ex);
            }
        }
    }

    /// <summary>
    /// Slides a session's expiry when due, without waiting: fire and forget, so a read stays one
    /// round trip. Sent at most once per granularity per session by the caller.
    /// </summary>
    /// <param name="key">The session key.</param>
    private void RefreshInBackground(RedisKey key)
    {
        try
        {
            _connection.GetDatabase().ScriptEvaluate(LuaScripts.Refresh, [key], [_granularityMs], CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            // The next read tries again.
        }
    }

    /// <summary>
    /// Slides the idle expiry of a session if it is due (requests that do not use the session but carry
    /// its cookie), through the same conditional script as a read: never creates a key, never
    /// lengthens a tombstone. Fire and forget.
    /// </summary>
    /// <param name="id">A well-formed session identifier.</param>
    public void Touch(string id)
    {
        ThrowIfMalformed(id);
        RefreshInBackground(KeyFor(id));
    }

    /// <summary>Creates a session with its first values; never overwrites an existing key.</summary>
    /// <param name="id">A new identifier from <see cref="SessionIds.NewId"/>.</param>
    /// <param name="changes">The values to store.</param>
    /// <param name="write">Metadata to store (bindings, per-session timeouts), if any.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="CommitStatus.Committed"/>, <see cref="CommitStatus.Conflict"/> or <see cref="CommitStatus.TooLarge"/>.</returns>
    public async Task<CommitResult> CreateAsync(string id, SessionChanges changes, SessionWrite? write = null, CancellationToken cancellationToken = default)
    {
        var (status, now, size) = await CreateCoreAsync(id, changes, write, cancellationToken).ConfigureAwait(false);
        if (status == CommitStatus.Committed)
        {
            _metrics.Created.Add(1);
            _metrics.CommitBytes.Record(size);
            LogCreated(_logger, SessionIds.LogTag(id));
            if (write?.UserId is { } user)
            {
                var deadline = write.AbsoluteDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(now) + _options.AbsoluteTimeout;
                await IndexAsync(user, id, null, deadline, cancellationToken).ConfigureAwait(false);
            }

            Raise(new TesseraEvent(TesseraEventKind.Created, SessionIds.LogTag(id), write?.UserId));
        }

        return new CommitResult(status, id);
    }

    private async Task<(CommitStatus Status, long Now, long Size)> CreateCoreAsync(string id, SessionChanges changes, SessionWrite? write, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(changes);
        var args = new List<RedisValue>(4 + (2 * changes.Count))
        {
            (long)_options.IdleTimeout.TotalMilliseconds,
            (long)_options.AbsoluteTimeout.TotalMilliseconds,
            _maxBytes,
        };
        AddMetadata(args, write, includeTimeouts: true);
        foreach (var (key, value) in changes.Entries)
        {
            if (value is not null)
            {
                var field = FieldNames.ToField(key);
                args.Add(field);
                args.Add(changes.IsCounter(key) ? value : _codec.Encode(id, field, value));
            }
        }

        var reply = await EvalAsync(LuaScripts.Create, KeyFor(id), [.. args], "create", cancellationToken).ConfigureAwait(false);
        var status = ParseWriteStatus(id, reply, out _, out var size);
        var now = status == CommitStatus.Committed ? (long)((RedisResult[])reply!)[1] : 0;
        return (status, now, size);
    }

    /// <summary>
    /// Writes only the changed and removed values of a live session, in one round trip. A session
    /// that is gone (logged out, revoked, expired) is never recreated. When the session was rotated
    /// meanwhile and <paramref name="followRotation"/> is set, the changes go to the new identifier.
    /// </summary>
    /// <param name="id">The identifier the request loaded.</param>
    /// <param name="changes">The changes.</param>
    /// <param name="write">Metadata to write, if any.</param>
    /// <param name="followRotation">Whether to follow a rotation tombstone to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The outcome, with the identifier the changes went to.</returns>
    public async Task<CommitResult> CommitAsync(
        string id,
        SessionChanges changes,
        SessionWrite? write = null,
        bool followRotation = true,
        CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(changes);
        for (var hop = 0; ; hop++)
        {
            var args = BuildCommitArgs(id, changes, write);
            var reply = await EvalAsync(LuaScripts.Commit, KeyFor(id), args, "commit", cancellationToken, idempotent: true).ConfigureAwait(false);
            var status = ParseWriteStatus(id, reply, out var rotatedTo, out var size);
            if (status == CommitStatus.Rotated && followRotation && hop < MaxRotationHops && SessionIds.IsValid(rotatedTo))
            {
                LogFollowedRotation(_logger, SessionIds.LogTag(id), SessionIds.LogTag(rotatedTo));
                id = rotatedTo!;
                continue;
            }

            if (status == CommitStatus.Committed)
            {
                _metrics.CommitBytes.Record(size);
            }

            return new CommitResult(status, id, rotatedTo);
        }
    }

    /// <summary>Adds <paramref name="delta"/> to an integer value, creating it at 0 first, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session (only for a request that loaded before it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value, or the reason nothing changed.</returns>
    /// <exception cref="InvalidOperationException">The stored value is not an integer.</exception>
    public async Task<AtomicResult> IncrementAsync(string id, string key, long delta = 1, bool followRotation = false, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(key);
        var field = FieldNames.ToField(key);
        for (var hop = 0; ; hop++)
        {
            var reply = await EvalAsync(
                LuaScripts.Increment,
                KeyFor(id),
                [field, delta, _maxBytes, _granularityMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()],
                "incr",
                cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            var code = (int)parts[0];
            switch (code)
            {
                case 1:
                    return new AtomicResult(CommitStatus.Committed, (long)parts[2], id);
                case 2 when followRotation && hop < MaxRotationHops && SessionIds.IsValid((string?)parts[1]):
                    id = (string)parts[1]!;
                    continue;
                case -2:
                    throw new SessionValueTypeException($"The session value '{key}' is not an integer, so it cannot be incremented.");
                default:
                    return new AtomicResult(StatusOf(id, code), 0, id);
            }
        }
    }

    /// <summary>Sets a value only when the key has none, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was set.</returns>
    public Task<AtomicResult> SetIfAbsentAsync(string id, string key, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "setnx", key, value, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>Replaces a value only when it still equals <paramref name="expected"/>, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="expected">The value the caller saw, or <see langword="null"/> for "no value".</param>
    /// <param name="value">The new value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was replaced.</returns>
    public Task<AtomicResult> CompareAndSetAsync(string id, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "cas", key, expected is { } e ? (RedisValue)e : RedisValue.Null, value, followRotation, cancellationToken);

    /// <summary>Removes a value, in one round trip with the existence check and the sliding refresh.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when a value was removed.</returns>
    public Task<AtomicResult> RemoveAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "del", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>
    /// Re-encodes values stored with a retired key (or before encryption was on) with the current
    /// settings, each only if its stored bytes are still the ones read: a concurrent update is never
    /// overwritten by the re-encryption of an older value.
    /// </summary>
    /// <param name="record">The record as loaded (its <see cref="SessionRecord.StaleStored"/> bytes).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many values were rewritten.</returns>
    public async Task<int> RewriteStaleAsync(SessionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ThrowIfMalformed(record.Id);
        if (record.StaleStored.Count == 0)
        {
            return 0;
        }

        var args = new List<RedisValue>(3 * record.StaleStored.Count);
        foreach (var (key, stored) in record.StaleStored)
        {
            var field = FieldNames.ToField(key);
            args.Add(field);
            args.Add(stored);
            args.Add(_codec.Encode(record.Id, field, record.Values[key]));
        }

        return (int)await EvalAsync(LuaScripts.Rewrite, KeyFor(record.Id), [.. args], "rewrite", cancellationToken, idempotent: true).ConfigureAwait(false);
    }

    /// <summary>Deletes a session (logout) and removes it from its user's index.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="userId">The user it is bound to, when the caller knows; otherwise it is read first.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was deleted.</returns>
    public async Task<bool> DestroyAsync(string id, string? userId = null, CancellationToken cancellationToken = default)
    {
        var (deleted, user) = await DeleteCoreAsync(id, userId, cancellationToken).ConfigureAwait(false);
        userId = user;
        if (deleted)
        {
            _metrics.Destroyed.Add(1);
            LogDestroyed(_logger, SessionIds.LogTag(id));
            Raise(new TesseraEvent(TesseraEventKind.Destroyed, SessionIds.LogTag(id), userId));
        }

        return deleted;
    }

    private async Task<AtomicResult> AtomicAsync(
        string id, string op, string key, RedisValue a, RedisValue b, bool followRotation, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(key);
        var field = FieldNames.ToField(key);
        for (var hop = 0; ; hop++)
        {
            // Values are stored encoded; the counter of 'incr' is stored as decimal text.
            var encodedA = op is "setnx" or "cas" && !a.IsNull ? (RedisValue)_codec.Encode(id, field, ((ReadOnlyMemory<byte>)a).Span) : a;
            var encodedB = op == "cas" ? (RedisValue)_codec.Encode(id, field, ((ReadOnlyMemory<byte>)b).Span) : b;
            if (op == "cas" && a.IsNull)
            {
                encodedA = RedisValue.EmptyString;
            }

            if (op == "cas" && _codec.AuthenticatesValues)
            {
                // Ciphertexts carry a fresh nonce each time: compare plaintexts here, then let the
                // script swap only if the stored bytes are still the very ones compared.
                encodedA = await ExpectedStoredAsync(id, field, a, cancellationToken).ConfigureAwait(false);
            }

            var reply = await EvalAsync(
                LuaScripts.Atomic,
                KeyFor(id),
                [op, field, encodedA.IsNull ? RedisValue.EmptyString : encodedA, encodedB, _maxBytes, _granularityMs],
                op,
                cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            var code = (int)parts[0];
            switch (code)
            {
                case 1:
                    return new AtomicResult(CommitStatus.Committed, (long)parts[2], id);
                case 2 when followRotation && hop < MaxRotationHops && SessionIds.IsValid((string?)parts[1]):
                    id = (string)parts[1]!;
                    continue;
                case -2:
                    throw new SessionValueTypeException($"The session value '{key}' is not an integer, so it cannot be incremented.");
                default:
                    var status = StatusOf(id, code);
                    return new AtomicResult(status, 0, id);
            }
        }
    }

    /// <summary>
    /// For compare-and-set with encryption: the stored bytes to compare against when the stored value
    /// decrypts to <paramref name="expected"/> (empty for "absent"), or bytes no value can have.
    /// </summary>
    private async Task<RedisValue> ExpectedStoredAsync(string id, string field, RedisValue expected, CancellationToken cancellationToken)
    {
        var stored = await RunAsync(db => db.HashGetAsync(KeyFor(id), field), "cas", cancellationToken).ConfigureAwait(false);
        if (stored.IsNull)
        {
            return expected.IsNull ? RedisValue.EmptyString : NeverStored;
        }

        if (expected.IsNull)
        {
            return NeverStored;
        }

        try
        {
            var plain = _codec.Decode(id, field, (byte[])stored!);
            return plain.AsSpan().SequenceEqual(((ReadOnlyMemory<byte>)expected).Span) ? stored : NeverStored;
        }
        catch (CorruptSessionException)
        {
            return NeverStored;
        }
    }

    /// <summary>Bytes no stored value starts with (0xFF is no header and no digit).</summary>
    private static readonly RedisValue NeverStored = new byte[] { 0xFF, 0xFE, 0xFD };

    private RedisValue[] BuildCommitArgs(string id, SessionChanges changes, SessionWrite? write)
    {
        var sets = new List<RedisValue>(2 * changes.Count + 8);
        var removes = new List<RedisValue>();
        AddMetadata(sets, write, includeTimeouts: true);
        foreach (var (key, value) in changes.Entries)
        {
            var field = FieldNames.ToField(key);
            if (value is null)
            {
                removes.Add(field);
            }
            else
            {
                sets.Add(field);
                sets.Add(changes.IsCounter(key) ? value : _codec.Encode(id, field, value));
            }
        }

        var args = new RedisValue[3 + sets.Count + removes.Count];
        args[0] = changes.Cleared ? 1 : 0;
        args[1] = _maxBytes;
        args[2] = sets.Count / 2;
        sets.CopyTo(args, 3);
        removes.CopyTo(args, 3 + sets.Count);
        return args;
    }

    private static void AddMetadata(List<RedisValue> args, SessionWrite? write, bool includeTimeouts)
    {
        if (write is null)
        {
            return;
        }

        if (includeTimeouts && write.IdleTimeout is { } idle)
        {
            args.Add(FieldNames.IdleMs);
            args.Add((long)idle.TotalMilliseconds);
        }

        if (includeTimeouts && write.Created is { } created)
        {
            args.Add(FieldNames.Created);
            args.Add(created.ToUnixTimeMilliseconds());
        }

        if (includeTimeouts && write.AbsoluteDeadline is { } deadline)
        {
            args.Add(FieldNames.Deadline);
            args.Add(deadline.ToUnixTimeMilliseconds());
        }

        AddIfSet(args, FieldNames.User, write.UserId);
        AddIfSet(args, FieldNames.ClientIp, write.ClientIp);
        AddIfSet(args, FieldNames.UserAgent, write.UserAgent);

        static void AddIfSet(List<RedisValue> args, string field, string? value)
        {
            if (value is not null)
            {
                args.Add(field);
                args.Add(value);
            }
        }
    }

    /// <summary>For the benchmarks: decodes a load reply.</summary>
    internal LoadResult ParseLoadForBenchmark(string id, HashEntry[] reply) => ParseLoad(id, KeyFor(id), reply, refresh: false);

    /// <summary>For the benchmarks: encodes a commit's arguments.</summary>
    internal RedisValue[] BuildCommitArgsForBenchmark(string id, SessionChanges changes) => BuildCommitArgs(id, changes, null);

    private LoadResult ParseLoad(string id, RedisKey key, HashEntry[] entries, bool refresh = true)
    {
        if (entries.Length == 0)
        {
            return new LoadResult(LoadStatus.NotFound);
        }

        var now = DateTimeOffset.UtcNow;
        var values = new Dictionary<string, byte[]>(entries.Length, StringComparer.Ordinal);
        HashSet<string>? counters = null, stale = null;
        Dictionary<string, byte[]>? staleStored = null;
        long created = 0, last = 0, idle = 0, deadline = 0, size = 0;
        bool hasLast = false, hasIdle = false, hasDeadline = false;
        string? user = null, ip = null, agent = null, rotatedTo = null;
        try
        {
            foreach (var entry in entries)
            {
                var field = (string)entry.Name!;
                var fieldKey = FieldNames.ToKey(field);
                if (fieldKey is not null)
                {
                    var stored = (byte[])entry.Value!;
                    values[fieldKey] = _codec.Decode(id, field, stored);
                    if (_codec.NeedsRewrite(stored))
                    {
                        (stale ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
                        (staleStored ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[fieldKey] = stored;
                    }

                    if (ValueCodec.IsCounter(stored))
                    {
                        if (_codec.AuthenticatesValues && !ValueCodec.IsWholeInteger(stored))
                        {
                            throw new CorruptSessionException("A plaintext value is not a whole integer, with encryption on.");
                        }

                        (counters ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
                    }

                    continue;
                }

                var text = (string?)entry.Value;
                switch (field)
                {
                    case FieldNames.Created: created = ParseLong(text); break;
                    case FieldNames.LastAccess: last = ParseLong(text); hasLast = true; break;
                    case FieldNames.IdleMs: idle = ParseLong(text); hasIdle = true; break;
                    case FieldNames.Deadline: deadline = ParseLong(text); hasDeadline = true; break;
                    case FieldNames.Size: size = ParseLong(text); break;
                    case FieldNames.User: user = text; break;
                    case FieldNames.ClientIp: ip = text; break;
                    case FieldNames.UserAgent: agent = text; break;
                    case FieldNames.RotatedTo: rotatedTo = text; break;
                    default: break;
                }
            }
        }
        catch (CorruptSessionException ex)
        {
            if (rotatedTo is null)
            {
                ReportCorrupt(id, ex.Message);
                return new LoadResult(LoadStatus.Corrupt);
            }
        }

        if (rotatedTo is not null)
        {
            LogRotatedRefused(_logger, SessionIds.LogTag(id));
            return new LoadResult(LoadStatus.Rotated, RotatedTo: rotatedTo);
        }

        if (!hasLast || !hasIdle || !hasDeadline)
        {
            ReportCorrupt(id, "the key is not a Tessera session hash");
            return new LoadResult(LoadStatus.Corrupt);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        if (nowMs >= deadline)
        {
            // Past its absolute deadline by this server's clock (Redis expires the key then too); the
            // refresh script deletes it if Redis's clock agrees.
            if (refresh)
            {
                RefreshInBackground(key);
            }

            Raise(new TesseraEvent(TesseraEventKind.ExpiredOnRead, SessionIds.LogTag(id)));
            return new LoadResult(LoadStatus.Expired);
        }

        if (refresh && nowMs - last >= GranularityFor(idle))
        {
            RefreshInBackground(key);
        }

        var metadata = new SessionMetadata
        {
            Created = DateTimeOffset.FromUnixTimeMilliseconds(created),
            LastAccess = DateTimeOffset.FromUnixTimeMilliseconds(last),
            IdleTimeout = TimeSpan.FromMilliseconds(idle),
            AbsoluteDeadline = DateTimeOffset.FromUnixTimeMilliseconds(deadline),
            UserId = user,
            ClientIp = ip,
            UserAgent = agent,
            Size = size,
        };
        return new LoadResult(LoadStatus.Found, new SessionRecord(id, metadata, values, now)
        {
            Counters = counters ?? (IReadOnlySet<string>)new HashSet<string>(),
            Stale = stale ?? (IReadOnlySet<string>)new HashSet<string>(),
            StaleStored = staleStored ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>(),
        });
    }

    /// <summary>The refresh granularity for an idle timeout, as the scripts compute it (<c>gran_for</c>).</summary>
    private long GranularityFor(long idleMs)
    {
        var fixedMs = (long)_granularityMs;
        if (fixedMs > 0 && fixedMs * 2 <= idleMs)
        {
            return fixedMs;
        }

        return Math.Min(idleMs / 20, 60_000);
    }

    private static long ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new CorruptSessionException("A metadata field is not an integer.");

    private CommitStatus ParseWriteStatus(string id, RedisResult reply, out string? rotatedTo, out long size)
    {
        var parts = (RedisResult[])reply!;
        var code = (int)parts[0];
        rotatedTo = code == 2 ? (string?)parts[1] : null;
        size = code is 1 ? (long)parts[2] : code is 4 ? (long)parts[1] : 0;
        return StatusOf(id, code);
    }

    private CommitStatus StatusOf(string id, int code)
    {
        switch (code)
        {
            case 1: return CommitStatus.Committed;
            case 0: case 3: return CommitStatus.Gone;
            case 2: return CommitStatus.Rotated;
            case 4: return CommitStatus.TooLarge;
            case 5: return CommitStatus.Conflict;
            default:
                ReportCorrupt(id, "the key is not a Tessera session hash");
                return CommitStatus.Corrupt;
        }
    }

    private void ReportCorrupt(string id, string reason)
    {
        _metrics.Corrupt.Add(1);
        LogCorrupt(_logger, SessionIds.LogTag(id), reason);
    }

    /// <summary>
    /// Runs one script. A script whose replay is harmless (<paramref name="idempotent"/>: load, commit,
    /// delete, index upkeep) is sent once more when the connection dropped under it (a node closing the
    /// socket during a failover or a slot migration), within the same overall bound; creation, rotation
    /// and atomic operations are never replayed, since their first attempt may have run.
    /// </summary>
    private async Task<RedisResult> EvalCoreAsync(string script, RedisKey key, RedisValue[] args, string operation, CancellationToken cancellationToken, bool idempotent = false)
    {
        // A cancelled caller never sends a command: once sent, it would run whatever the caller does.
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var left = _options.OperationTimeout - Stopwatch.GetElapsedTime(started);
                var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
                return await db.ScriptEvaluateAsync(script, [key], args)
                    .WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RedisConnectionException) when (idempotent && attempt == 1 && Stopwatch.GetElapsedTime(started) < _options.OperationTimeout)
            {
                LogReplayed(_logger, operation);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                throw Unavailable(operation, ex);
            }
        }
    }

    private TesseraUnavailableException Unavailable(string operation, Exception ex)
    {
        _metrics.Errors.Add(1);
        LogUnavailable(_logger, operation, ex);
        // The inner exception's text may name a key; Tessera's own message never copies it.
        return new TesseraUnavailableException($"The session store did not answer the {operation} within {_options.OperationTimeout.TotalSeconds:0.###} s ({Describe(ex)}).", ex);
    }

    /// <summary>A short, key-free description of why Redis did not serve: the error's kind, never its text.</summary>
    /// <param name="ex">The exception.</param>
    /// <returns>For example "timeout" or "server: OOM".</returns>
    internal static string Describe(Exception ex) => ex switch
    {
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException connection => $"connection: {connection.FailureType}",
        RedisServerException server => $"server: {ErrorPrefix(server.Message)}",
        ObjectDisposedException => "connection disposed",
        _ => ex.GetType().Name,
    };

    private static string ErrorPrefix(string message)
    {
        var end = message.IndexOfAny([' ', ':']);
        var prefix = end < 0 ? message : message[..end];
        return prefix.Length <= 16 && prefix.All(char.IsAsciiLetterUpper) ? prefix : "error";
    }

    /// <summary>Whether an exception means Redis is unreachable or not serving now (as opposed to a bug).</summary>
    internal static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            // Up but refusing writes: min-replicas-to-write unmet, or maxmemory reached under noeviction.
            || server.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal)
            || server.Message.StartsWith("OOM", StringComparison.Ordinal)
            // Persistence failing (stop-writes-on-bgsave-error), credentials or ACL changed under the
            // app, the server full of clients: the server's state, not the caller's bug.
            || server.Message.StartsWith("MISCONF", StringComparison.Ordinal)
            || server.Message.StartsWith("NOPERM", StringComparison.Ordinal)
            || server.Message.StartsWith("NOAUTH", StringComparison.Ordinal)
            || server.Message.StartsWith("WRONGPASS", StringComparison.Ordinal)
            || server.Message.Contains("max number of clients", StringComparison.Ordinal)
            // The same refusal raised inside a script.
            || server.Message.Contains("can't run this command", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>Tells every observer; an observer that throws is logged, never allowed to fail the request.</summary>
    /// <param name="sessionEvent">The event.</param>
    internal void Raise(in TesseraEvent sessionEvent)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnEvent(sessionEvent);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogObserverFailed(_logger, observer.GetType().Name, ex);
            }
        }
    }

    private static void ThrowIfMalformed(string id)
    {
        if (!SessionIds.IsValid(id))
        {
            throw new ArgumentException("Not a well-formed session identifier.", nameof(id));
        }
    }
}
