using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>
/// The per-request session: the stock <see cref="ISession"/> surface over an explicit state
/// (<see cref="RequestSessionState"/>: which id each call targets) and a merged view
/// (<see cref="SessionView"/>: snapshot plus delta). Lazy: nothing touches Redis until a value is
/// read, and a request without a valid cookie never touches it to read. All of a request's Redis
/// work shares one bound (<see cref="RedisBudget"/>). Atomic operations, rotation and the response
/// (commit at start, cookie) are in the other parts of this class.
/// </summary>
internal sealed partial class TesseraSession : ITesseraSession, ISessionFeature, IClientSource
{
    private readonly RedisSessionStore _store;
    private readonly TesseraSessionOptions _options;
    private readonly HttpContext _context;
    private readonly ILogger _logger;
    private readonly RequestSessionState _state;
    private readonly SessionView _view = new();
    private readonly RedisBudget _budget;
    private readonly SessionIdChannel _channel;
    private readonly SessionIdSource _idSource;
    private readonly bool _slides;
    private bool _degraded;

    /// <summary>The key of the id the last call targeted: a request's id is checked and hashed once.</summary>
    private SessionKey _key;

    /// <summary>When this request last slid the session's idle expiry (a due refresh sent with its read, or a commit), if it did.</summary>
    private DateTimeOffset? _slidAt;

    public TesseraSession(RedisSessionStore store, TesseraSessionOptions options, HttpContext context, string? cookieId, ILogger logger, SessionIdChannel channel, SessionIdSource idSource, bool slides)
    {
        _store = store;
        _options = options;
        _context = context;
        _logger = logger;
        _channel = channel;
        _idSource = idSource;
        _slides = slides;
        _state = new RequestSessionState(cookieId);
        _budget = new RedisBudget(options.OperationTimeout);
        _view.CountersOnlyAsCounters = store.Codec.AuthenticatesValues;
        _view.Clock = store.Time;
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
                return !_degraded;
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
            return _degraded ? string.Empty : _state.ProvisionalId();
        }
    }

    /// <inheritdoc/>
    public IEnumerable<string> Keys
    {
        get
        {
            Load();
            return _view.Keys;
        }
    }

    /// <inheritdoc/>
    public bool Exists
    {
        get
        {
            Load();
            return _state.Phase == SessionPhase.Live;
        }
    }

    /// <inheritdoc/>
    public SessionMetadata? Metadata
    {
        get
        {
            Load();
            return _state.Phase == SessionPhase.Live ? _view.Metadata : null;
        }
    }

    /// <inheritdoc/>
    public string? UserId
    {
        get
        {
            Load();
            return _view.Write?.UserId ?? (_state.Phase == SessionPhase.Live ? _view.Metadata?.UserId : null);
        }
    }

    /// <inheritdoc/>
    public DateTimeOffset? ExpiresAt
    {
        get
        {
            Load();
            if (_state.Phase != SessionPhase.Live || _view.Metadata is not { } meta)
            {
                return null;
            }

            // As Redis holds it after this request: a refresh this request sent (or a commit) moved the idle expiry.
            var lastAccess = _slidAt is { } slid && slid > meta.LastAccess ? slid : meta.LastAccess;
            var idle = lastAccess + meta.IdleTimeout;
            return idle < meta.AbsoluteDeadline ? idle : meta.AbsoluteDeadline;
        }
    }

    /// <inheritdoc/>
    public DateTimeOffset? AbsoluteExpiresAt
    {
        get
        {
            Load();
            return _state.Phase == SessionPhase.Live ? _view.Metadata?.AbsoluteDeadline : null;
        }
    }

    /// <inheritdoc/>
    public TimeSpan? TimeLeft
    {
        get
        {
            if (ExpiresAt is not { } expires)
            {
                return null;
            }

            var left = expires - _store.Time.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Whether this request's endpoint slides the session (not marked <see cref="NoSessionSlidingAttribute"/>).</summary>
    internal bool Slides => _slides;

    /// <summary>Whether there are changes that the end of the request must write.</summary>
    internal bool IsDirty => _view.IsDirty;

    /// <summary>The identifier the client sent, while it is honoured.</summary>
    internal string? CookieId => _state.CookieId;

    /// <summary>The state (for the middleware's lock and the tests).</summary>
    internal RequestSessionState State => _state;

    /// <inheritdoc/>
    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        return _view.TryGet(key, out value);
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (DropWhileDegraded(key) || (_state.KnowsContents && _view.HoldsSame(key, value)))
        {
            // Setting what is already there changes nothing: no write.
            return;
        }

        PrepareWrite();
        _view.Pending.Set(key, value.AsSpan().ToArray());
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        if (DropWhileDegraded(key))
        {
            return;
        }

        // Always written: the same bytes with a new deadline are a change.
        PrepareWrite();
        _view.Pending.Set(key, value.AsSpan().ToArray(), _store.Time.GetUtcNow() + lifetime);
    }

    /// <inheritdoc/>
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (DropWhileDegraded(key) || (_state.KnowsContents && !_view.Holds(key)))
        {
            // Removing a key that is not there (the session TempData provider does it on every request
            // with empty TempData) changes nothing: no write, and a new visitor gets no session or cookie.
            return;
        }

        PrepareWrite();
        _view.Pending.Remove(key);
    }

    /// <inheritdoc/>
    public void Clear()
    {
        if (DropWhileDegraded("*") || (_state.KnowsContents && _view.HoldsNothing))
        {
            return;
        }

        PrepareWrite();
        if (_state.Phase == SessionPhase.New)
        {
            // Nothing is stored yet: clearing drops this request's own values, and creates nothing.
            _view.Pending.Reset();
            return;
        }

        _view.Pending.Clear();
    }

    /// <inheritdoc/>
    public long? GetInt64(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        return _view.TryGetCounter(key, out var n) ? n : null;
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
        var write = _view.Write ??= new SessionWrite();
        if (idleTimeout is not null)
        {
            write.IdleTimeout = idleTimeout;
        }

        if (absoluteTimeout is { } lifetime)
        {
            var created = _state.Phase == SessionPhase.Live && _view.Metadata is { } meta && meta.Created != default ? meta.Created : _store.Time.GetUtcNow();
            write.AbsoluteDeadline = created + lifetime;
        }
    }

    /// <summary>A write while degraded: dropped and logged (stock-like), or a loud failure (503).</summary>
    private bool DropWhileDegraded(string key)
    {
        if (!_degraded)
        {
            return false;
        }

        if (_options.OutagePolicy == OutagePolicy.DegradeFully)
        {
            _store.Metrics.Errors.Add(1);
            LogWriteDropped(_logger, key.Length);
            return true;
        }

        _budget.ThrowIfFailed();
        return false;
    }

    /// <summary>Forgets what was read, so the handler reads the session again (under the lock just taken).</summary>
    internal void Unload() => _state.Unload();

    /// <summary>This request's client, recorded as the device's last seen with the sliding refresh.</summary>
    public SessionClient Describe() => ClientBinding.Describe(_context);

    private string? CurrentClientIp() => ClientBinding.AddressOf(_context);

    private SessionTooLargeException TooLarge(SessionSizeLimit exceeded) => exceeded == SessionSizeLimit.Fields
        ? new($"The session would hold more than TesseraOptions.MaxSessionFields ({_options.MaxSessionFields}) values; nothing was written.")
        : new($"The session would be larger than TesseraOptions.MaxSessionBytes ({_options.MaxSessionBytes} bytes, each value counting its key, its bytes and {Tessera.Internal.SessionLayout.FieldOverhead} bytes of overhead); nothing was written.");

    /// <summary>The key of the id a call targets, built once per id per request (<see cref="RedisSessionStore.Key"/>).</summary>
    private SessionKey KeyOf(string id) => _key.Id == id ? _key : _key = _store.Key(id);
}
