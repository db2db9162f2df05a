using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>
/// The per-request session. Lazy: nothing touches Redis until a value is read, and a request
/// without a valid cookie never touches it to read. One load brings every value; a commit writes
/// only what changed. A new visitor who stores nothing gets no cookie and costs no write.
/// </summary>
internal sealed partial class TesseraSession : ITesseraSession, ISessionFeature
{
    private static readonly Func<object, Task> OnStartingCallback = static state => ((TesseraSession)state).OnStartingAsync();

    private readonly RedisSessionStore _store;
    private readonly TesseraSessionOptions _options;
    private readonly HttpContext _context;
    private readonly ILogger _logger;
    private readonly SessionChanges _changes = new();

    private string? _cookieId;
    private string? _id;
    private Dictionary<string, byte[]>? _values;
    private SessionMetadata? _metadata;
    private HashSet<string>? _counters;
    private SessionWrite? _write;
    private bool _loaded;
    private bool _exists;
    private bool _callbackRegistered;
    private bool _sendCookie;
    private bool _deleteCookie;
    private TesseraUnavailableException? _loadFailure;

    public TesseraSession(RedisSessionStore store, TesseraSessionOptions options, HttpContext context, string? cookieId, ILogger logger)
    {
        _store = store;
        _options = options;
        _context = context;
        _cookieId = cookieId;
        _logger = logger;
    }

    ISession ISessionFeature.Session
    {
        get => this;
        set => throw new NotSupportedException("Tessera's session cannot be replaced.");
    }

    /// <inheritdoc/>
    public bool IsAvailable
    {
        get
        {
            try
            {
                Load();
                return true;
            }
            catch (TesseraUnavailableException)
            {
                return false;
            }
        }
    }

    /// <inheritdoc/>
    public string Id
    {
        get
        {
            Load();
            return _id ??= SessionIds.NewId();
        }
    }

    /// <inheritdoc/>
    public IEnumerable<string> Keys
    {
        get
        {
            Load();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            if (!_changes.Cleared && _values is not null)
            {
                keys.UnionWith(_values.Keys);
            }

            foreach (var (key, value) in _changes.Entries)
            {
                if (value is null)
                {
                    keys.Remove(key);
                }
                else
                {
                    keys.Add(key);
                }
            }

            return keys;
        }
    }

    /// <inheritdoc/>
    public bool Exists
    {
        get
        {
            Load();
            return _exists;
        }
    }

    /// <inheritdoc/>
    public SessionMetadata? Metadata
    {
        get
        {
            Load();
            return _metadata;
        }
    }

    /// <inheritdoc/>
    public string? UserId
    {
        get
        {
            Load();
            return _write?.UserId ?? _metadata?.UserId;
        }
    }

    /// <summary>Whether there are changes that the end of the request must write.</summary>
    internal bool IsDirty => !_changes.IsEmpty || _write is not null;

    /// <summary>The identifier the client sent, when it had a valid form.</summary>
    internal string? CookieId => _cookieId;

    /// <inheritdoc/>
    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        if (_changes.TryGet(key, out value))
        {
            return value is not null;
        }

        if (!_changes.Cleared && _values is not null && _values.TryGetValue(key, out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        PrepareWrite();
        _changes.Set(key, value.AsSpan().ToArray());
    }

    /// <inheritdoc/>
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        PrepareWrite();
        _changes.Remove(key);
    }

    /// <inheritdoc/>
    public void Clear()
    {
        PrepareWrite();
        _changes.Clear();
    }

    /// <inheritdoc/>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (_loaded)
        {
            return;
        }

        if (_loadFailure is not null)
        {
            throw _loadFailure;
        }

        if (_cookieId is null)
        {
            _loaded = true;
            return;
        }

        try
        {
            Apply(await _store.LoadAsync(_cookieId, cancellationToken).ConfigureAwait(false));
        }
        catch (TesseraUnavailableException ex)
        {
            _loadFailure = ex;
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (!IsDirty)
        {
            return;
        }

        if (_exists || (!_loaded && _cookieId is not null))
        {
            var id = _exists ? _id! : _cookieId!;
            var result = await _store.CommitAsync(id, _changes, _write, followRotation: true, cancellationToken).ConfigureAwait(false);
            switch (result.Status)
            {
                case CommitStatus.Committed:
                    if (result.SessionId != id)
                    {
                        // The session was rotated while this request ran; its changes went to the new one,
                        // whose cookie the client got from the request that rotated it.
                        _cookieId = result.SessionId;
                    }

                    _id = result.SessionId;
                    _exists = true;
                    ApplyCommitted();
                    return;
                case CommitStatus.TooLarge:
                    throw TooLarge();
                case CommitStatus.Gone when _loaded:
                    // The session this request read was logged out, revoked or expired meanwhile:
                    // never recreate it. The changes are dropped on purpose.
                    LogCommitToGoneSession(_logger, SessionIds.LogTag(id));
                    _exists = false;
                    _changes.Reset();
                    _write = null;
                    return;
                default:
                    // A write-only request with a cookie Redis does not hold: start a new session,
                    // with a new identifier (the client's is never adopted).
                    _exists = false;
                    _id = null;
                    break;
            }
        }

        await CreateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        var value = await TryIncrementAsync(key, delta, cancellationToken).ConfigureAwait(false);
        if (value is { } v)
        {
            return v;
        }

        // No session yet: create it with the counter in it.
        PrepareWrite();
        _changes.SetCounter(key, delta);
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        return delta;
    }

    /// <inheritdoc/>
    public async Task<long?> TryIncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await RunAtomicAsync(
            static (store, id, state, ct) => store.IncrementAsync(id, state.key, state.delta, followRotation: true, ct),
            (key, delta),
            cancellationToken).ConfigureAwait(false);
        if (result is not { Status: CommitStatus.Committed } r)
        {
            return null;
        }

        if (_loaded && _values is not null)
        {
            // The rest of the request sees the new value; a later rotation carries it as a counter.
            _values[key] = Encoding.ASCII.GetBytes(r.Value.ToString(CultureInfo.InvariantCulture));
            (_counters ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
        }

        return r.Value;
    }

    /// <inheritdoc/>
    public async Task<bool> SetIfAbsentAsync(string key, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = await RunAtomicAsync(
            static (store, id, state, ct) => store.SetIfAbsentAsync(id, state.key, state.value, followRotation: true, ct),
            (key, value),
            cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            // No session yet: a new one holds nothing, so the value is absent; create it with the value.
            PrepareWrite();
            _changes.Set(key, value.AsSpan().ToArray());
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (result.Value.Succeeded)
        {
            Remember(key, value.AsSpan().ToArray());
        }

        return result.Value.Succeeded;
    }

    /// <inheritdoc/>
    public async Task<bool> CompareAndSetAsync(string key, byte[]? expected, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var result = await RunAtomicAsync(
            static (store, id, state, ct) => store.CompareAndSetAsync(id, state.key, state.expected, state.value, followRotation: true, ct),
            (key, expected, value),
            cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            if (expected is not null)
            {
                return false;
            }

            PrepareWrite();
            _changes.Set(key, value.AsSpan().ToArray());
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (result.Value.Succeeded)
        {
            Remember(key, value.AsSpan().ToArray());
        }

        return result.Value.Succeeded;
    }

    /// <inheritdoc/>
    public async Task<bool> RemoveNowAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var result = await RunAtomicAsync(
            static (store, id, key, ct) => store.RemoveAsync(id, key, followRotation: true, ct),
            key,
            cancellationToken).ConfigureAwait(false);
        if (result is { Succeeded: true })
        {
            _values?.Remove(key);
        }

        return result is { Succeeded: true };
    }

    /// <inheritdoc/>
    public long? GetInt64(string key) =>
        TryGetValue(key, out var bytes) && Utf8Parser.TryParse(bytes, out long n, out var used) && used == bytes.Length ? n : null;

    /// <inheritdoc/>
    public async Task DestroyAsync(CancellationToken cancellationToken = default)
    {
        var id = _exists ? _id : _cookieId;
        if (id is not null)
        {
            await _store.DestroyAsync(id, _metadata?.UserId, cancellationToken).ConfigureAwait(false);
        }

        _cookieId = null;
        _counters = null;
        _id = null;
        _values = null;
        _metadata = null;
        _write = null;
        _exists = false;
        _loaded = true;
        _changes.Reset();
        _sendCookie = false;
        _deleteCookie = true;
        EnsureCallback();
    }

    /// <inheritdoc/>
    public async Task<string> RotateAsync(CancellationToken cancellationToken = default) =>
        await RotateCoreAsync(null, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task SignInAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        await RotateCoreAsync(userId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SessionInfo>> GetUserSessionsAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return UserId is { } user ? await _store.GetUserSessionsAsync(user, cancellationToken).ConfigureAwait(false) : [];
    }

    /// <inheritdoc/>
    public async Task<int> RevokeOtherSessionsAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return UserId is { } user && _exists
            ? await _store.RevokeUserSessionsAsync(user, _id, cancellationToken).ConfigureAwait(false)
            : 0;
    }

    /// <inheritdoc/>
    public void SetTimeouts(TimeSpan? idleTimeout = null, TimeSpan? absoluteTimeout = null)
    {
        if (idleTimeout is { } idle && (idle < TimeSpan.FromSeconds(1) || idle > TimeSpan.FromDays(400)))
        {
            throw new ArgumentOutOfRangeException(nameof(idleTimeout), idle, "An idle timeout must be between 1 second and 400 days.");
        }

        if (absoluteTimeout is { } absolute && (absolute < TimeSpan.FromSeconds(1) || absolute > TimeSpan.FromDays(400)))
        {
            throw new ArgumentOutOfRangeException(nameof(absoluteTimeout), absolute, "An absolute lifetime must be between 1 second and 400 days.");
        }

        Load();
        PrepareWrite();
        var write = _write ??= new SessionWrite();
        if (idleTimeout is not null)
        {
            write.IdleTimeout = idleTimeout;
        }

        if (absoluteTimeout is { } lifetime)
        {
            var created = _exists && _metadata is { } meta && meta.Created != default ? meta.Created : DateTimeOffset.UtcNow;
            write.AbsoluteDeadline = created + lifetime;
        }
    }

    private async Task<string> RotateCoreAsync(string? userId, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (_context.Response.HasStarted)
        {
            throw new InvalidOperationException("The session cannot be rotated after the response has started: the new cookie could not be sent.");
        }

        if (!_exists)
        {
            // Nothing stored yet: a fresh identifier is all rotation means; binding creates the session now.
            _id = SessionIds.NewId();
            if (userId is not null)
            {
                PrepareWrite();
                (_write ??= new SessionWrite()).UserId = userId;
                await CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return _id;
        }

        if (userId is not null)
        {
            (_write ??= new SessionWrite()).UserId = userId;
        }

        var snapshot = new SessionRecord(_id!, _metadata!, _values!, DateTimeOffset.UtcNow)
        {
            Counters = _counters ?? (IReadOnlySet<string>)new HashSet<string>(),
        };
        var result = await _store.RotateAsync(snapshot, _changes, _write, cancellationToken).ConfigureAwait(false);
        if (result.Status == CommitStatus.TooLarge)
        {
            throw TooLarge();
        }

        if (result.Status != CommitStatus.Committed)
        {
            // The session ended (or another request rotated it) meanwhile: start afresh, never adopt.
            _exists = false;
            _id = null;
            _values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            _metadata = null;
            if (userId is not null)
            {
                PrepareWrite();
                (_write ??= new SessionWrite()).UserId = userId;
                await CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return Id;
        }

        _id = result.SessionId;
        _cookieId = result.SessionId;
        ApplyCommitted();
        if (userId is not null && _metadata is not null)
        {
            _metadata = _metadata with { UserId = userId };
        }

        _sendCookie = true;
        _deleteCookie = false;
        EnsureCallback();
        return _id;
    }

    /// <summary>Commits what is left at the end of the request.</summary>
    internal Task CommitAtEndAsync() => CommitAsync(_context.RequestAborted);

    private async Task<AtomicResult?> RunAtomicAsync<TState>(
        Func<RedisSessionStore, string, TState, CancellationToken, Task<AtomicResult>> operation,
        TState state,
        CancellationToken cancellationToken)
    {
        var id = _exists ? _id : !_loaded ? _cookieId : null;
        if (id is null)
        {
            return null;
        }

        // Pending changes go first, so the atomic operation sees them.
        if (IsDirty)
        {
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            id = _exists ? _id : null;
            if (id is null)
            {
                return null;
            }
        }

        var result = await operation(_store, id, state, cancellationToken).ConfigureAwait(false);
        if (result.Status != CommitStatus.Committed)
        {
            if (result.Status == CommitStatus.TooLarge)
            {
                throw TooLarge();
            }

            if (!_loaded)
            {
                // The cookie named no live session: this request now acts as a new visitor.
                _loaded = true;
                _exists = false;
                _id = null;
            }

            return null;
        }

        _id = result.SessionId;
        _exists = true;
        if (!_loaded)
        {
            _cookieId = result.SessionId;
        }

        return result;
    }

    private void Remember(string key, byte[] value)
    {
        if (_loaded && _values is not null)
        {
            _values[key] = value;
        }
    }

    private SessionTooLargeException TooLarge() =>
        new($"The session would be larger than TesseraOptions.MaxSessionBytes ({_options.MaxSessionBytes} bytes); nothing was written.");

    private void Load()
    {
        if (_loaded)
        {
            return;
        }

        if (_loadFailure is not null)
        {
            throw _loadFailure;
        }

        if (_cookieId is null)
        {
            _loaded = true;
            return;
        }

        try
        {
            Apply(_store.Load(_cookieId));
        }
        catch (TesseraUnavailableException ex)
        {
            _loadFailure = ex;
            throw;
        }
    }

    private void Apply(LoadResult result)
    {
        _loaded = true;
        if (result is { Status: LoadStatus.Found, Record: { } record } && !BindingRefuses(record))
        {
            _counters = new HashSet<string>(record.Counters, StringComparer.Ordinal);
            _id = record.Id;
            _exists = true;
            _metadata = record.Metadata;
            _values = new Dictionary<string, byte[]>(record.Values, StringComparer.Ordinal);
            if (record.Stale.Count > 0)
            {
                // Stored with a retired key (or before encryption was on): rewrite them with this request.
                EnsureCallback();
                foreach (var key in record.Stale)
                {
                    _changes.Set(key, _values[key]);
                }
            }

            return;
        }

        // Strict: an identifier Redis does not hold is never adopted.
        _exists = false;
        _id = null;
        if (result.Status == LoadStatus.Rotated)
        {
            LogRotatedIdRefused(_logger, SessionIds.LogTag(_cookieId));
        }
    }

    private bool BindingRefuses(SessionRecord record)
    {
        var binding = _options.ClientBinding;
        if (!binding.IsEnabled)
        {
            return false;
        }

        var mismatch = ClientBinding.Mismatch(
            binding,
            _context.Connection.RemoteIpAddress,
            _context.Request.Headers.UserAgent,
            record.Metadata.ClientIp,
            record.Metadata.UserAgent);
        if (mismatch is null)
        {
            return false;
        }

        var tag = SessionIds.LogTag(record.Id);
        _store.Metrics.BindingRejected.Add(1);
        _store.Raise(new TesseraEvent(TesseraEventKind.BindingRejected, tag, record.Metadata.UserId, Detail: mismatch));
        LogBindingMismatch(_logger, tag, mismatch);
        if (binding.OnMismatch == BindingMismatchAction.Reject)
        {
            _loaded = true;
            _loadFailure = null;
            throw new SessionBindingException($"The session is bound to another client ({mismatch}).");
        }

        // Not honoured: this request is a new visitor; the session stays for its rightful client.
        _cookieId = null;
        return true;
    }

    private void ApplyCommitted()
    {
        if (_values is not null)
        {
            if (_changes.Cleared)
            {
                _values.Clear();
            }

            foreach (var (key, value) in _changes.Entries)
            {
                if (value is null)
                {
                    _values.Remove(key);
                }
                else
                {
                    _values[key] = value;
                }
            }
        }

        _changes.Reset();
        _write = null;
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = _id ??= SessionIds.NewId();
            var write = _write ?? new SessionWrite();
            write.ClientIp ??= _context.Connection.RemoteIpAddress is { } address
                ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
                : null;
            write.UserAgent ??= ClientBinding.Normalize(_context.Request.Headers.UserAgent);
            var result = await _store.CreateAsync(id, _changes, write, cancellationToken).ConfigureAwait(false);
            if (result.Status == CommitStatus.Conflict && attempt < 2)
            {
                _id = null;
                continue;
            }

            if (result.Status == CommitStatus.TooLarge)
            {
                throw TooLarge();
            }

            if (result.Status != CommitStatus.Committed)
            {
                throw new InvalidOperationException($"A new session could not be created ({result.Status}).");
            }

            _exists = true;
            _loaded = true;
            _values ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
            _metadata = new SessionMetadata
            {
                UserId = write.UserId,
                ClientIp = write.ClientIp,
                UserAgent = write.UserAgent,
                IdleTimeout = write.IdleTimeout ?? _options.IdleTimeout,
            };
            foreach (var (key, _) in _changes.Entries)
            {
                if (_changes.IsCounter(key))
                {
                    (_counters ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
                }
            }

            ApplyCommitted();
                _sendCookie = true;
            _deleteCookie = false;
            EnsureCallback();
            return;
        }
    }

    private void PrepareWrite()
    {
        var establishing = !_exists && (_loaded || _cookieId is null);
        if (establishing && _context.Response.HasStarted && !_callbackRegistered)
        {
            throw new InvalidOperationException("The session cannot be established after the response has started.");
        }

        EnsureCallback();
    }

    private void EnsureCallback()
    {
        if (_callbackRegistered || _context.Response.HasStarted)
        {
            return;
        }

        _callbackRegistered = true;
        _context.Response.OnStarting(OnStartingCallback, this);
    }

    /// <summary>
    /// Runs as the response starts: writes pending changes first, so the client never sees a response
    /// before its session holds what that response reflects, then sets or deletes the cookie.
    /// </summary>
    private async Task OnStartingAsync()
    {
        if (IsDirty)
        {
            try
            {
                await CommitAsync(_context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TesseraUnavailableException or SessionTooLargeException)
            {
                LogCommitFailedAtStart(_logger, ex);
                _context.Response.StatusCode = ex is SessionTooLargeException
                    ? StatusCodes.Status413PayloadTooLarge
                    : _options.UnavailableStatusCode;
            }
        }

        var cookie = _options.Cookie;
        if (_sendCookie && _id is not null)
        {
            _context.Response.Cookies.Append(cookie.Name!, _id, cookie.Build(_context));
        }
        else if (_deleteCookie)
        {
            _context.Response.Cookies.Delete(cookie.Name!, cookie.Build(_context));
        }

        if (_sendCookie || _deleteCookie)
        {
            // Never let a shared cache keep a response that carries a session cookie.
            var headers = _context.Response.Headers;
            headers.CacheControl = "no-cache,no-store";
            headers.Pragma = "no-cache";
        }
    }

    [LoggerMessage(20, LogLevel.Information, "A request committed to session {SessionTag} after it ended (logout, revoke or expiry); the changes were dropped, not resurrected.")]
    private static partial void LogCommitToGoneSession(ILogger logger, string sessionTag);

    [LoggerMessage(21, LogLevel.Information, "Session {SessionTag} was rotated; its old identifier was refused.")]
    private static partial void LogRotatedIdRefused(ILogger logger, string sessionTag);

    [LoggerMessage(23, LogLevel.Warning, "Session {SessionTag} did not match its client binding ({Mismatch}); not honoured.")]
    private static partial void LogBindingMismatch(ILogger logger, string sessionTag, string mismatch);

    [LoggerMessage(22, LogLevel.Error, "The session could not be committed as the response started.")]
    private static partial void LogCommitFailedAtStart(ILogger logger, Exception exception);
}
