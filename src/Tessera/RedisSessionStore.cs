using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;
using Tessera.Wire;

namespace Tessera;

/// <summary>
/// The session store's request path: one Redis hash per session, read by a plain <c>HGETALL</c> and
/// written by single-key Lua scripts (load, touch, create, commit, rotate, the atomic operations and
/// the take, destroy). Every operation is one round trip through <see cref="RedisGateway"/>, bounded by
/// <see cref="TesseraOptions.OperationTimeout"/>; a Redis that cannot be reached surfaces as
/// <see cref="TesseraUnavailableException"/>. A call's identifier is checked and hashed once
/// (<see cref="SessionKey"/>). The user index, devices and revocation are <see cref="Users"/>.
/// </summary>
public sealed class RedisSessionStore
{
    /// <summary>How many tombstones a write follows forwards (the commit and the atomics).</summary>
    internal const int MaxRotationHops = 4;

    /// <summary>Stands for a key of another type: never a session.</summary>
    private static readonly HashEntry[] WrongType = [new HashEntry("#wrongtype", 1)];

    private readonly TesseraConnection _connection;
    private readonly TesseraOptions _options;
    private readonly ValueCodec _codec;
    private readonly ILogger _logger;
    private readonly TesseraMetrics _metrics;
    private readonly RedisValue _granularityMs;
    private readonly SessionAtomics _atomics;
    private readonly SessionEvents _events;
    private readonly RedisGateway _redis;
    private readonly SessionUsers _users;
    private readonly SessionRotation _rotation;
    private readonly RevocationFeed _revocations;
    private readonly ReplicaAcknowledger _replicas;
    private readonly NearCache _nearCache;

    /// <summary>Creates the store.</summary>
    /// <param name="connection">The shared Redis connection.</param>
    /// <param name="options">The store options.</param>
    /// <param name="codec">The value codec (plain, or with compression and encryption).</param>
    /// <param name="metrics">The metrics instruments.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="observers">The event observers.</param>
    /// <param name="timeProvider">The clock (the app server's: deadlines themselves use Redis's <c>TIME</c>).</param>
    public RedisSessionStore(
        TesseraConnection connection,
        IOptions<TesseraOptions> options,
        ValueCodec? codec = null,
        TesseraMetrics? metrics = null,
        ILogger<RedisSessionStore>? logger = null,
        IEnumerable<ITesseraObserver>? observers = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _options = options.Value;
        _codec = codec ?? new ValueCodec();
        _metrics = metrics ?? new TesseraMetrics();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _granularityMs = _options.RefreshGranularity is { } granularity ? Math.Max(1L, (long)granularity.TotalMilliseconds) : 0L;
        _events = new SessionEvents(observers, _logger);
        _redis = new RedisGateway(connection, _options, _metrics, _logger, timeProvider ?? TimeProvider.System, _granularityMs);
        _users = new SessionUsers(this);
        _rotation = new SessionRotation(this);
        _atomics = new SessionAtomics(this, _granularityMs);
        _revocations = new RevocationFeed(this);
        _replicas = new ReplicaAcknowledger(this);
        _nearCache = new NearCache(this);
    }

    /// <summary>The value codec.</summary>
    public ValueCodec Codec => _codec;

    /// <summary>The options in force.</summary>
    public TesseraOptions Options => _options;

    /// <summary>The metrics instruments.</summary>
    public TesseraMetrics Metrics => _metrics;

    /// <summary>The shared connection.</summary>
    public TesseraConnection Connection => _connection;

    /// <summary>The user index, a user's devices and their revocation ("log out everywhere").</summary>
    public SessionUsers Users => _users;

    /// <summary>Revocations as every app instance hears them: subscribe to re-check what this instance holds open (live connections, caches).</summary>
    public RevocationFeed Revocations => _revocations;

    /// <summary>The near cache (<see cref="TesseraOptions.NearCache"/>): repeated reads answered from memory while Redis has not said the session changed.</summary>
    public NearCache NearCache => _nearCache;

    /// <summary>The one path of every Redis call (bound, breaker, telemetry, failure meaning).</summary>
    internal RedisGateway Redis => _redis;

    /// <summary>The clock.</summary>
    internal TimeProvider Time => _redis.Time;

    /// <summary>The store's logger (the user index logs through it too).</summary>
    internal ILogger Logger => _logger;

    /// <summary>The Redis key of a session: named by its handle, never by the identifier.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}{handle}</c>, the handle being <see cref="SessionIds.Handle"/> of <paramref name="id"/>.</returns>
    public RedisKey KeyFor(string id) => SessionLayout.SessionKey(_options.KeyPrefix, SessionIds.Handle(id));

    /// <summary>The Redis key of a session, from its handle (as listed by <see cref="SessionUsers.GetUserSessionsAsync"/> or an operator).</summary>
    /// <param name="handle">The session's handle.</param>
    /// <returns><c>{prefix}{handle}</c>.</returns>
    public RedisKey KeyForHandle(string handle) => SessionLayout.SessionKey(_options.KeyPrefix, handle);

    /// <summary>The Redis key of a session's lock, named by the session's handle.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}lock:{handle}</c>.</returns>
    public RedisKey LockKeyFor(string id) => SessionLayout.LockKey(_options.KeyPrefix, SessionIds.Handle(id));

    /// <summary>The key of a session identifier: checked and hashed once for the whole call.</summary>
    internal SessionKey Key(string id) => SessionKey.OfId(id, _options.KeyPrefix);

    /// <summary>The key of a session named by its handle.</summary>
    internal SessionKey KeyOfHandle(string handle) => SessionKey.OfHandle(handle, _options.KeyPrefix);

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
    public Task<LoadResult> LoadAsync(string id, CancellationToken cancellationToken = default) => LoadAsync(id, null, cancellationToken);

    /// <summary>
    /// Loads a session as <see cref="LoadAsync(string, CancellationToken)"/>, and when the sliding
    /// refresh is due records the client as last seen with it (no extra write per request).
    /// </summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <param name="client">The client of this request, or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What was found.</returns>
    internal Task<LoadResult> LoadAsync(string id, IClientSource? client, CancellationToken cancellationToken) =>
        LoadCoreAsync(Key(id), client, refresh: true, cancellationToken);

    /// <summary>
    /// As <see cref="LoadAsync(string, IClientSource?, CancellationToken)"/>, for a request that holds its key; with
    /// <paramref name="slide"/> false, never sends the sliding refresh (an endpoint that must not extend the session).
    /// </summary>
    internal Task<LoadResult> LoadAsync(SessionKey session, IClientSource? client, bool slide, CancellationToken cancellationToken) =>
        LoadCoreAsync(session, client, slide, cancellationToken);

    /// <summary>
    /// Loads the session a handle names: a tombstone's forward, for a request that lost a rotation race
    /// and must check the winner, or (without the sliding refresh) an operator's read. The record's
    /// <see cref="SessionRecord.Id"/> is the handle.
    /// </summary>
    internal Task<LoadResult> LoadHandleAsync(string handle, bool refresh, CancellationToken cancellationToken) =>
        LoadCoreAsync(KeyOfHandle(handle), null, refresh, cancellationToken);

    /// <summary>Loads a session synchronously (for <c>ISession.TryGetValue</c> without a prior <c>LoadAsync</c>).</summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <returns>What was found.</returns>
    public LoadResult Load(string id) => Load(Key(id), null, slide: true);

    /// <summary>Loads a session synchronously for a request that holds its key, recording the client (or null) with the sliding refresh when due and <paramref name="slide"/>.</summary>
    internal LoadResult Load(SessionKey session, IClientSource? client, bool slide)
    {
        var start = Stopwatch.GetTimestamp();
        HashEntry[] entries;
        long? epoch = null;
        try
        {
            (entries, epoch) = _redis.ReadSession(session.Key, "load");
        }
        catch (RedisServerException ex) when (RedisFailures.Classify(ex) == RedisFailureKind.Corrupt)
        {
            entries = WrongType;
        }

        return Loaded(session, start, entries, epoch, client, slide);
    }

    private async Task<LoadResult> LoadCoreAsync(SessionKey session, IClientSource? client, bool refresh, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var near = _options.NearCache.Enabled ? await _nearCache.LookupAsync(session.Key, cancellationToken).ConfigureAwait(false) : NearLookup.Bypass;
        if (near.IsHit)
        {
            return Loaded(session, start, near.Entries!, near.Epoch, client, refresh);
        }

        HashEntry[] entries;
        long? epoch = null;
        try
        {
            (entries, epoch) = await _redis.ReadSessionAsync(session.Key, "load", cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (RedisFailures.Classify(ex) == RedisFailureKind.Corrupt)
        {
            entries = WrongType;
        }
        catch
        {
            _nearCache.Complete(near, null, null);
            throw;
        }

        var result = Loaded(session, start, entries, epoch, client, refresh);

        // Only a live session is kept: not-found, tombstones and corrupt keys are read from Redis each time
        // (a stream of made-up identifiers must not fill the cache).
        _nearCache.Complete(near, result.Status == LoadStatus.Found ? entries : null, epoch);
        return result;
    }

    private LoadResult Loaded(SessionKey session, long start, HashEntry[] entries, long? epoch, IClientSource? client, bool refresh)
    {
        _metrics.LoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return ParseLoad(session, entries, epoch, client, refresh);
    }

    /// <summary>For the benchmarks: decodes a load reply.</summary>
    internal LoadResult ParseLoadForBenchmark(string id, HashEntry[] reply) => ParseLoad(Key(id), reply, null, null, refresh: false);

    private LoadResult ParseLoad(SessionKey session, HashEntry[] entries, long? epoch, IClientSource? client, bool refresh)
    {
        // The one reader of a session hash and the one rule of what a session is (Wire/SessionHash).
        var userFields = new List<HashEntry>(entries.Length);
        var slots = SessionHash.Split(entries, userFields);
        switch (SessionHash.KindOf(slots))
        {
            case SessionHashKind.Absent when entries.Length == 0:
                return new LoadResult(LoadStatus.NotFound);
            case SessionHashKind.Tombstone:
                StoreLog.RotatedRefused(_logger, session.Tag);
                return new LoadResult(LoadStatus.Rotated, RotatedTo: (string?)slots[(int)SessionMetadataField.RotatedTo]);
            case SessionHashKind.Session:
                break;
            default:
                ReportCorrupt(session, "the key is not a Tessera session hash");
                return new LoadResult(LoadStatus.Corrupt);
        }

        var now = _redis.Time.GetUtcNow();
        SessionRecord record;
        try
        {
            record = SessionHash.Record(session.Id, session.Handle, slots, userFields, _codec, now);
        }
        catch (CorruptSessionException ex)
        {
            ReportCorrupt(session, ex.Message);
            return new LoadResult(LoadStatus.Corrupt);
        }

        var metadata = record.Metadata;
        if (EveryoneRevocation.Ends(metadata.Created.ToUnixTimeMilliseconds(), epoch))
        {
            // Created at or before "everyone at once": it does not exist. Never refreshed (it dies by its TTL
            // or `tessera cleanup`), and a write to it can never make it live again: '#c' is never rewritten.
            StoreLog.EndedByEveryone(_logger, session.Tag);
            return new LoadResult(LoadStatus.NotFound);
        }

        if (now >= metadata.AbsoluteDeadline)
        {
            // Past its absolute deadline by this server's clock (Redis expires the key then too); the
            // refresh script deletes it if Redis's clock agrees.
            if (refresh)
            {
                RefreshInBackground(session.Key);
            }

            Raise(new TesseraEvent(TesseraEventKind.ExpiredOnRead, session.Tag));
            return new LoadResult(LoadStatus.Expired);
        }

        if (refresh && RefreshRule.IsDue(now.ToUnixTimeMilliseconds(), metadata.LastAccess.ToUnixTimeMilliseconds(), (long)metadata.IdleTimeout.TotalMilliseconds, (long)_granularityMs))
        {
            RefreshInBackground(session.Key, client);
        }

        if (record.ExpiredStored.Count > 0)
        {
            PruneInBackground(session.Key, record);
        }

        return new LoadResult(LoadStatus.Found, record);
    }

    /// <summary>
    /// Slides the idle expiry of a session if it is due (requests that do not use the session but carry
    /// its cookie), through the same conditional script as a read: never creates a key, never
    /// lengthens a tombstone. Fire and forget.
    /// </summary>
    /// <param name="id">A well-formed session identifier.</param>
    public void Touch(string id) => Touch(id, null);

    /// <summary>As <see cref="Touch(string)"/>, recording the client as last seen when the refresh is due.</summary>
    internal void Touch(string id, IClientSource? client) => RefreshInBackground(Key(id).Key, client);

    /// <summary>
    /// Slides a session's expiry when due, without waiting: fire and forget, so a read stays one
    /// round trip. Sent at most once per granularity per session by the caller.
    /// </summary>
    private void RefreshInBackground(RedisKey key, IClientSource? client = null)
    {
        // The refresh rewrites the session's last access: a kept copy would ask for the refresh again.
        _nearCache.Forget(key);
        var seen = client?.Describe();
        RedisValue[] args = seen is null
            ? [_granularityMs]
            : [_granularityMs, seen.Ip ?? string.Empty, seen.UserAgent ?? string.Empty];
        _redis.Send("refresh", static (db, s) => db.ScriptEvaluateAsync(LuaScripts.Refresh, [s.key], s.args), (key, args));
    }

    /// <summary>
    /// Removes the values a load found past their own lifetime, each only if Redis still holds the bytes read
    /// (so a value written again meanwhile stays), with the size ('#s'): the <c>Rewrite</c> script, fire and
    /// forget, so the read stays one round trip. Sent by the loads that find such values; one that is lost
    /// (an outage) is sent again by the next load.
    /// </summary>
    private void PruneInBackground(RedisKey key, SessionRecord record) =>
        _redis.Send("prune", static (db, s) => db.ScriptEvaluateAsync(LuaScripts.Rewrite, [s.key], s.args), (key, args: ScriptWire.PruneArgs(record)));

    /// <summary>Creates a session with its first values; never overwrites an existing key.</summary>
    /// <param name="id">A new identifier from <see cref="SessionIds.NewId"/>.</param>
    /// <param name="changes">The values to store.</param>
    /// <param name="write">Metadata to store (bindings, per-session timeouts), if any.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// <see cref="CommitStatus.Committed"/>, <see cref="CommitStatus.Conflict"/>, <see cref="CommitStatus.TooLarge"/>, or
    /// <see cref="CommitStatus.Revoked"/> for a session bound to a user whose "log out everywhere" started
    /// after it was created (it was ended).
    /// </returns>
    public async Task<CommitResult> CreateAsync(string id, SessionChanges changes, SessionWrite? write = null, CancellationToken cancellationToken = default)
    {
        var session = Key(id);
        var (status, now, size, exceeded) = await CreateCoreAsync(session, changes, write, cancellationToken).ConfigureAwait(false);
        if (status == CommitStatus.Committed)
        {
            _metrics.Created.Add(1);
            _metrics.CommitBytes.Record(size);
            StoreLog.Created(_logger, session.Tag);
            if (write?.UserId is { } user)
            {
                var deadline = write.AbsoluteDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(now) + _options.AbsoluteTimeout;
                // Past the per-user limit (DenyNew) the new session or login is deleted: it never serves.
                await _users.IndexNewAsync(user, session.Handle, deadline, write.IsCompanion, null, cancellationToken).ConfigureAwait(false);

                // A "log out everywhere" that started after this session was created (and so may have
                // taken the index before it was added) ends it: a sign-in in flight cannot outlive it. The
                // mark alone decides: one that took the index after the add deletes the session itself.
                if (await _users.RevokedSinceAsync(user, DateTimeOffset.FromUnixTimeMilliseconds(now), cancellationToken).ConfigureAwait(false))
                {
                    await _users.DeleteAsync(session.Handle, user, cancellationToken).ConfigureAwait(false);
                    StoreLog.RotationRevoked(_logger, session.Tag);
                    return new CommitResult(CommitStatus.Revoked, id);
                }
            }

            Raise(new TesseraEvent(TesseraEventKind.Created, session.Tag, write?.UserId));
        }

        return new CommitResult(status, id) { ExceededLimit = exceeded };
    }

    internal async Task<(CommitStatus Status, long Now, long Size, SessionSizeLimit Exceeded)> CreateCoreAsync(SessionKey session, SessionChanges changes, SessionWrite? write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var args = ScriptWire.CreateArgs(session.Handle, changes, write, _options, _codec);
        var reply = await _redis.EvalAsync(LuaScripts.Create, session.Key, args, "create", cancellationToken).ConfigureAwait(false);
        var status = Checked(session, ScriptWire.WriteStatus(reply, out _, out var size, out var exceeded));
        var now = status == CommitStatus.Committed ? (long)((RedisResult[])reply!)[1] : 0;
        return (status, now, size, exceeded);
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
    /// <returns>
    /// The outcome, with where the changes went: <paramref name="id"/> itself, or the handle of the
    /// session a rotation forwarded them to (the store follows handles and never learns the new identifier).
    /// </returns>
    public Task<CommitResult> CommitAsync(
        string id,
        SessionChanges changes,
        SessionWrite? write = null,
        bool followRotation = true,
        CancellationToken cancellationToken = default) =>
        CommitAsync(Key(id), changes, write, followRotation, cancellationToken);

    /// <summary>As <see cref="CommitAsync(string, SessionChanges, SessionWrite?, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal async Task<CommitResult> CommitAsync(SessionKey session, SessionChanges changes, SessionWrite? write, bool followRotation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var target = session;
        for (var hop = 0; ; hop++)
        {
            var args = ScriptWire.CommitArgs(target.Handle, changes, write, _options, _codec);
            var (reply, epoch) = await _redis.EvalBesideEpochAsync(LuaScripts.Commit, target.Key, args, "commit", cancellationToken, idempotent: true).ConfigureAwait(false);
            var status = Checked(session, ScriptWire.WriteStatus(reply, out var rotatedTo, out var size, out var exceeded));
            if (status == CommitStatus.Committed && EveryoneRevocation.Ends(ScriptWire.CreatedOf(reply), epoch))
            {
                // Written into a session "everyone at once" ended: it stays dead ('#c' is never rewritten),
                // and the caller hears what a commit into a logged-out session hears.
                StoreLog.EndedByEveryone(_logger, target.Tag);
                return new CommitResult(CommitStatus.Gone, target.Id);
            }

            if (status == CommitStatus.Rotated && followRotation && hop < MaxRotationHops && SessionIds.IsValid(rotatedTo))
            {
                StoreLog.FollowedRotation(_logger, target.Tag, SessionIds.TagOfHandle(rotatedTo));
                target = KeyOfHandle(rotatedTo!);
                continue;
            }

            if (status == CommitStatus.Committed)
            {
                _metrics.CommitBytes.Record(size);
            }

            return new CommitResult(status, target.Id, rotatedTo) { ExceededLimit = exceeded };
        }
    }

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
        var session = Key(record.Id);
        if (record.StaleStored.Count == 0)
        {
            return 0;
        }

        return (int)await _redis.EvalAsync(LuaScripts.Rewrite, session.Key, ScriptWire.RewriteArgs(session.Handle, record, _codec), "rewrite", cancellationToken, idempotent: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Rotates a loaded session to a new identifier, carrying its values and pending changes over.
    /// Correct on Redis Cluster where the old and new keys live in different slots: write the new
    /// session first, then turn the old key into a short-lived tombstone that names the new session's
    /// handle (never its identifier), then copy over whatever other requests wrote in between. No
    /// request can load the old identifier once it is sealed; a request that loaded it before commits
    /// into the new session by following the tombstone.
    /// </summary>
    /// <param name="snapshot">The session as this request loaded it.</param>
    /// <param name="pending">This request's changes not yet written; they are written into the new session.</param>
    /// <param name="write">Metadata to set on the new session (for example a user on sign-in), or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// <see cref="CommitStatus.Committed"/> with the new identifier in <see cref="CommitResult.SessionId"/>;
    /// <see cref="CommitStatus.Rotated"/> with the winner's handle in <see cref="CommitResult.RotatedTo"/> when another
    /// request rotated it first; or <see cref="CommitStatus.Gone"/> when the old session ended (or was rotated by another request)
    /// meanwhile, in which case nothing was created.
    /// </returns>
    public Task<CommitResult> RotateAsync(SessionRecord snapshot, SessionChanges pending, SessionWrite? write = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(pending);
        return _rotation.RunAsync(snapshot, pending, write, cancellationToken);
    }

    /// <summary>Adds <paramref name="delta"/> to an integer value, creating it at 0 first, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session (only for a request that loaded before it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value, or the reason nothing changed.</returns>
    /// <exception cref="InvalidOperationException">The stored value is not an integer.</exception>
    public Task<AtomicResult> IncrementAsync(string id, string key, long delta = 1, bool followRotation = false, CancellationToken cancellationToken = default) =>
        IncrementAsync(Key(id), key, delta, followRotation, cancellationToken);

    /// <summary>As <see cref="IncrementAsync(string, string, long, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> IncrementAsync(SessionKey session, string key, long delta, bool followRotation, CancellationToken cancellationToken) =>
        _atomics.RunAsync(session, "incr", key, delta, RedisValue.Null, followRotation, cancellationToken);

    /// <summary>Sets a value only when the key has none, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was set.</returns>
    public Task<AtomicResult> SetIfAbsentAsync(string id, string key, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        SetIfAbsentAsync(Key(id), key, value, followRotation, cancellationToken);

    /// <summary>As <see cref="SetIfAbsentAsync(string, string, ReadOnlyMemory{byte}, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> SetIfAbsentAsync(SessionKey session, string key, ReadOnlyMemory<byte> value, bool followRotation, CancellationToken cancellationToken) =>
        _atomics.RunAsync(session, "setnx", key, value, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>Replaces a value only when it still equals <paramref name="expected"/>, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="expected">The value the caller saw, or <see langword="null"/> for "no value".</param>
    /// <param name="value">The new value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was replaced.</returns>
    public Task<AtomicResult> CompareAndSetAsync(string id, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        CompareAndSetAsync(Key(id), key, expected, value, followRotation, cancellationToken);

    /// <summary>As <see cref="CompareAndSetAsync(string, string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> CompareAndSetAsync(SessionKey session, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation, CancellationToken cancellationToken) =>
        _atomics.RunAsync(session, "cas", key, expected is { } e ? (RedisValue)e : RedisValue.Null, value, followRotation, cancellationToken);

    /// <summary>Removes a value, in one round trip with the existence check and the sliding refresh.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when a value was removed.</returns>
    public Task<AtomicResult> RemoveAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        RemoveAsync(Key(id), key, followRotation, cancellationToken);

    /// <summary>As <see cref="RemoveAsync(string, string, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> RemoveAsync(SessionKey session, string key, bool followRotation, CancellationToken cancellationToken) =>
        _atomics.RunAsync(session, "del", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>
    /// Takes a value: reads it and removes it in one step (one script: <c>HGET</c> and <c>HDEL</c> with the
    /// session checks, the size and the sliding refresh), so of two requests that take the same value,
    /// exactly one gets it. A session that is gone, a tombstone (unless <paramref name="followRotation"/>)
    /// or a key that is not a session gives nothing and is never written.
    /// </summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session (only for a request that loaded before it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value taken (<see cref="TakeResult.Value"/>, null when there was none), or the reason nothing was taken.</returns>
    public Task<TakeResult> TakeAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        TakeAsync(Key(id), key, followRotation, cancellationToken);

    /// <summary>As <see cref="TakeAsync(string, string, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<TakeResult> TakeAsync(SessionKey session, string key, bool followRotation, CancellationToken cancellationToken) =>
        _atomics.TakeAsync(session, key, followRotation, cancellationToken);

    /// <summary>Deletes a session (logout) and removes it from its user's index.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="userId">The user it is bound to, when the caller knows; otherwise it is read first.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was deleted.</returns>
    public Task<bool> DestroyAsync(string id, string? userId = null, CancellationToken cancellationToken = default) =>
        DestroyAsync(Key(id), userId, cancellationToken);

    /// <summary>As <see cref="DestroyAsync(string, string?, CancellationToken)"/>, for a request that holds its key.</summary>
    internal async Task<bool> DestroyAsync(SessionKey session, string? userId, CancellationToken cancellationToken)
    {
        var ended = new List<string>(1);
        var (deleted, user) = await _users.DeleteAsync(session.Handle, userId, cancellationToken, ended).ConfigureAwait(false);
        if (deleted)
        {
            _revocations.Publish(RevocationScope.Logout, ended);
            await AfterRevocationAsync(ended, cancellationToken).ConfigureAwait(false);
            _metrics.Destroyed.Add(1);
            StoreLog.Destroyed(_logger, session.Tag);
            Raise(new TesseraEvent(TesseraEventKind.Destroyed, session.Tag, user));
        }

        return deleted;
    }

    /// <summary>
    /// Whether the ending of these sessions or logins is on a replica of every primary that held them, so
    /// that a failover cannot bring them back: waits (within <see cref="TesseraOptions.ReplicaWait"/>) for a
    /// replica to acknowledge everything the primary applied before this call. Every revocation already
    /// waits so (and logs and counts an unconfirmed one); call this where the caller must know, for
    /// example an operator's tool after a compromise.
    /// </summary>
    /// <param name="handles">The handles revoked (<see cref="SessionIds.Handle"/> of the ids).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What is known: confirmed, no replicas to wait for, unconfirmed, unsupported by the server, or off.</returns>
    public Task<ReplicaConfirmation> ConfirmRevokedAsync(IReadOnlyList<string> handles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handles);
        foreach (var handle in handles)
        {
            SessionKey.ThrowIfMalformed(handle);
        }

        return _replicas.ConfirmAsync([.. handles.Select(KeyForHandle)], cancellationToken);
    }

    /// <summary>After a revocation: waits for a replica, counts the outcome (an unconfirmed one is logged by the acknowledger).</summary>
    internal Task<ReplicaConfirmation> AfterRevocationAsync(IReadOnlyList<string> ended, CancellationToken cancellationToken) =>
        AfterKeysRevokedAsync([.. ended.Select(KeyForHandle)], cancellationToken);

    /// <summary>As <see cref="AfterRevocationAsync(IReadOnlyList{string}, CancellationToken)"/>, for the keys written (the "everyone" epoch).</summary>
    internal async Task<ReplicaConfirmation> AfterKeysRevokedAsync(IReadOnlyList<RedisKey> written, CancellationToken cancellationToken)
    {
        var confirmation = await _replicas.ConfirmAsync(written, cancellationToken).ConfigureAwait(false);
        if (confirmation is not (ReplicaConfirmation.Off or ReplicaConfirmation.NoReplicas))
        {
            _metrics.ReplicaConfirmations.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OutcomeTag, confirmation.ToString().ToLowerInvariant()));
        }

        return confirmation;
    }

    /// <summary>Tells every observer (<see cref="SessionEvents"/>); an observer that throws never fails the request.</summary>
    /// <param name="sessionEvent">The event.</param>
    internal void Raise(in TesseraEvent sessionEvent) => _events.Raise(sessionEvent);

    /// <summary>A script's status; a key that is not a session is reported as corrupt.</summary>
    internal CommitStatus Checked(SessionKey session, CommitStatus status)
    {
        if (status == CommitStatus.Corrupt)
        {
            ReportCorrupt(session, "the key is not a Tessera session hash");
        }

        return status;
    }

    internal void ReportCorrupt(SessionKey session, string reason)
    {
        _metrics.Corrupt.Add(1);
        StoreLog.Corrupt(_logger, session.Tag, reason);
    }
}
