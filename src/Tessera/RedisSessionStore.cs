using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

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
    private readonly RedisValue _maxFields;
    private readonly ITesseraObserver[] _observers;
    private readonly RedisGateway _redis;

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
        _maxBytes = _options.MaxSessionBytes;
        _maxFields = _options.MaxSessionFields;
        _observers = observers?.ToArray() ?? [];
        _redis = new RedisGateway(connection, _options, _metrics, _logger, timeProvider ?? TimeProvider.System);
    }

    /// <summary>The value codec.</summary>
    public ValueCodec Codec => _codec;

    /// <summary>The options in force.</summary>
    public TesseraOptions Options => _options;

    /// <summary>The metrics instruments.</summary>
    public TesseraMetrics Metrics => _metrics;

    /// <summary>The shared connection.</summary>
    public TesseraConnection Connection => _connection;

    /// <summary>The one path of every Redis call (bound, breaker, telemetry, failure meaning).</summary>
    internal RedisGateway Redis => _redis;

    /// <summary>The clock.</summary>
    internal TimeProvider Time => _redis.Time;

    /// <summary>The Redis key of a session: named by its handle, never by the identifier.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}{handle}</c>, the handle being <see cref="SessionIds.Handle"/> of <paramref name="id"/>.</returns>
    public RedisKey KeyFor(string id) => SessionLayout.SessionKey(_options.KeyPrefix, SessionIds.Handle(id));

    /// <summary>The Redis key of a session, from its handle (as listed by <see cref="GetUserSessionsAsync"/> or an operator).</summary>
    /// <param name="handle">The session's handle.</param>
    /// <returns><c>{prefix}{handle}</c>.</returns>
    public RedisKey KeyForHandle(string handle) => SessionLayout.SessionKey(_options.KeyPrefix, handle);

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
    internal Task<LoadResult> LoadAsync(string id, IClientSource? client, CancellationToken cancellationToken) => LoadAsync(id, client, true, cancellationToken);

    /// <summary>As <see cref="LoadAsync(string, IClientSource?, CancellationToken)"/>; with <paramref name="slide"/> false, never sends the sliding refresh (an endpoint that must not extend the session).</summary>
    internal async Task<LoadResult> LoadAsync(string id, IClientSource? client, bool slide, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(id);
        return await LoadCoreAsync(id, SessionIds.Handle(id), cancellationToken, client, slide).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the session a handle names (a tombstone's forward), for a request that lost a rotation
    /// race and must check the winner. The record's <see cref="SessionRecord.Id"/> is the handle.
    /// </summary>
    internal Task<LoadResult> LoadHandleAsync(string handle, CancellationToken cancellationToken = default) => LoadHandleAsync(handle, true, cancellationToken);

    /// <summary>As <see cref="LoadHandleAsync(string, CancellationToken)"/>; without the sliding refresh for an operator's read.</summary>
    internal Task<LoadResult> LoadHandleAsync(string handle, bool refresh, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(handle);
        return LoadCoreAsync(handle, handle, cancellationToken, refresh: refresh);
    }

    private async Task<LoadResult> LoadCoreAsync(string id, string handle, CancellationToken cancellationToken, IClientSource? client = null, bool refresh = true)
    {
        var start = Stopwatch.GetTimestamp();
        var key = KeyForHandle(handle);
        HashEntry[] entries;
        try
        {
            entries = await _redis.ReadHashAsync(key, "load", cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (RedisFailures.Classify(ex) == RedisFailureKind.Corrupt)
        {
            entries = WrongType;
        }

        _metrics.LoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return ParseLoad(id, handle, key, entries, client, refresh);
    }

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
        var (status, now, size, exceeded) = await CreateCoreAsync(id, changes, write, cancellationToken).ConfigureAwait(false);
        if (status == CommitStatus.Committed)
        {
            _metrics.Created.Add(1);
            _metrics.CommitBytes.Record(size);
            LogCreated(_logger, SessionIds.LogTag(id));
            if (write?.UserId is { } user)
            {
                var deadline = write.AbsoluteDeadline ?? DateTimeOffset.FromUnixTimeMilliseconds(now) + _options.AbsoluteTimeout;
                try
                {
                    await IndexAsync(user, id, null, deadline, cancellationToken, write.IsCompanion).ConfigureAwait(false);
                }
                catch (SessionLimitException)
                {
                    // Past the per-user limit (DenyNew): the new session or login never serves.
                    await DeleteCoreAsync(SessionIds.Handle(id), user, cancellationToken).ConfigureAwait(false);
                    throw;
                }

                // A "log out everywhere" that started after this session was created (and so may have
                // taken the index before it was added) ends it: a sign-in in flight cannot outlive it. The
                // mark alone decides: one that took the index after the add deletes the session itself.
                if (await RevokedSinceAsync(user, DateTimeOffset.FromUnixTimeMilliseconds(now), cancellationToken).ConfigureAwait(false))
                {
                    await DeleteCoreAsync(SessionIds.Handle(id), user, cancellationToken).ConfigureAwait(false);
                    LogRotationRevoked(_logger, SessionIds.LogTag(id));
                    return new CommitResult(CommitStatus.Revoked, id);
                }
            }

            Raise(new TesseraEvent(TesseraEventKind.Created, SessionIds.LogTag(id), write?.UserId));
        }

        return new CommitResult(status, id) { ExceededLimit = exceeded };
    }

    private async Task<(CommitStatus Status, long Now, long Size, SessionSizeLimit Exceeded)> CreateCoreAsync(string id, SessionChanges changes, SessionWrite? write, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(changes);
        var handle = SessionIds.Handle(id);
        var args = new List<RedisValue>(12 + (2 * changes.Count))
        {
            (long)_options.IdleTimeout.TotalMilliseconds,
            (long)_options.AbsoluteTimeout.TotalMilliseconds,
            _maxBytes,
            _maxFields,
        };
        AddMetadata(args, write, includeTimeouts: true);
        foreach (var (key, value) in changes.Entries)
        {
            if (value is not null)
            {
                var field = SessionLayout.ToField(key);
                args.Add(field);
                args.Add(changes.IsCounter(key) ? value : _codec.Encode(handle, field, value));
            }
        }

        var reply = await _redis.EvalAsync(LuaScripts.Create, KeyForHandle(handle), [.. args], "create", cancellationToken).ConfigureAwait(false);
        var status = ParseWriteStatus(id, reply, out _, out var size, out var exceeded);
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
    public async Task<CommitResult> CommitAsync(
        string id,
        SessionChanges changes,
        SessionWrite? write = null,
        bool followRotation = true,
        CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(changes);
        var handle = SessionIds.Handle(id);
        for (var hop = 0; ; hop++)
        {
            var args = BuildCommitArgs(handle, changes, write);
            var reply = await _redis.EvalAsync(LuaScripts.Commit, KeyForHandle(handle), args, "commit", cancellationToken, idempotent: true).ConfigureAwait(false);
            var status = ParseWriteStatus(id, reply, out var rotatedTo, out var size, out var exceeded);
            if (status == CommitStatus.Rotated && followRotation && hop < MaxRotationHops && SessionIds.IsValid(rotatedTo))
            {
                LogFollowedRotation(_logger, SessionIds.TagOfHandle(handle), SessionIds.TagOfHandle(rotatedTo));
                handle = rotatedTo!;
                continue;
            }

            if (status == CommitStatus.Committed)
            {
                _metrics.CommitBytes.Record(size);
            }

            return new CommitResult(status, hop == 0 ? id : handle, rotatedTo) { ExceededLimit = exceeded };
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
        ThrowIfMalformed(record.Id);
        if (record.StaleStored.Count == 0)
        {
            return 0;
        }

        var handle = SessionIds.Handle(record.Id);
        var args = new List<RedisValue>(3 * record.StaleStored.Count);
        foreach (var (key, stored) in record.StaleStored)
        {
            var field = SessionLayout.ToField(key);
            args.Add(field);
            args.Add(stored);
            args.Add(_codec.Encode(handle, field, record.Values[key]));
        }

        return (int)await _redis.EvalAsync(LuaScripts.Rewrite, KeyForHandle(handle), [.. args], "rewrite", cancellationToken, idempotent: true).ConfigureAwait(false);
    }

    /// <summary>Deletes a session (logout) and removes it from its user's index.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="userId">The user it is bound to, when the caller knows; otherwise it is read first.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was deleted.</returns>
    public async Task<bool> DestroyAsync(string id, string? userId = null, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        var (deleted, user) = await DeleteCoreAsync(SessionIds.Handle(id), userId, cancellationToken).ConfigureAwait(false);
        userId = user;
        if (deleted)
        {
            _metrics.Destroyed.Add(1);
            LogDestroyed(_logger, SessionIds.LogTag(id));
            Raise(new TesseraEvent(TesseraEventKind.Destroyed, SessionIds.LogTag(id), userId));
        }

        return deleted;
    }

    private void ReportCorrupt(string id, string reason)
    {
        _metrics.Corrupt.Add(1);
        LogCorrupt(_logger, SessionIds.LogTag(id), reason);
    }

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
