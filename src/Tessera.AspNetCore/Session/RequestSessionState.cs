namespace Tessera.AspNetCore;

/// <summary>
/// The state of one request's session and its transitions, with no Redis and no HTTP in it. The
/// one rule for which id a call targets is <see cref="TargetFor"/>:
/// <list type="bullet">
/// <item><b>Unread</b> (cookie C): reads and atomic operations target C and never follow a tombstone,
/// so a request that did not load before a rotation never learns the new id, its values or a counter
/// from it; a commit of the pending delta may land through the tombstone (the in-flight promise), and
/// the rest of the request is then a new visitor.</item>
/// <item><b>Live</b> (id L): every call targets L. A request that read L before it was sealed follows
/// the tombstone for its own writes and atomic operations, but keeps L as its id: it never learns the
/// new id either. One that only wrote L does not follow for atomic operations.</item>
/// <item><b>New</b>: no call targets Redis; a write creates a session under a fresh id, never one this
/// request has seen die.</item>
/// </list>
/// </summary>
internal sealed class RequestSessionState
{
    private HashSet<string>? _dead;
    private string? _provisional;
    private bool _renewalDue;

    public RequestSessionState(string? cookieId)
    {
        CookieId = cookieId;
        Phase = cookieId is null ? SessionPhase.New : SessionPhase.Unread;
    }

    /// <summary>The id the client sent, when it was well-formed and honoured; null once refused.</summary>
    public string? CookieId { get; private set; }

    /// <summary>The phase.</summary>
    public SessionPhase Phase { get; private set; }

    /// <summary>Live: the id Redis holds the session under.</summary>
    public string? Id { get; private set; }

    /// <summary>Live: whether this request read the session's values from Redis (or created it).</summary>
    public bool Loaded { get; private set; }

    /// <summary>Live: whether this request created the id, so no other client can know it yet.</summary>
    public bool CreatedHere { get; private set; }

    /// <summary>
    /// Whether this request is to give its session a new identifier as the response starts (the renewal
    /// timeout): it read the session, found the identifier due, and has not rotated, created, forwarded or
    /// lost it since. Any of those transitions clears it.
    /// </summary>
    public bool RenewalDue => _renewalDue && Phase == SessionPhase.Live && Loaded && !CreatedHere;

    /// <summary>Whether the session was ended by this request (logout).</summary>
    public bool Destroyed { get; private set; }

    /// <summary>
    /// Whether the request knows what the session holds: a new visitor (nothing) or a session it read.
    /// Then a change that changes nothing (removing an absent key) can be dropped; an unread session's
    /// cannot, since the key may be there.
    /// </summary>
    public bool KnowsContents => Phase == SessionPhase.New || (Phase == SessionPhase.Live && Loaded);

    /// <summary>Whether the request still has to read the session before it can answer a read.</summary>
    public bool NeedsLoad => Phase == SessionPhase.Unread || (Phase == SessionPhase.Live && !Loaded);

    /// <summary>The one rule: which id an operation targets, or null when it targets none (a new visitor).</summary>
    /// <param name="operation">The operation.</param>
    /// <returns>The target.</returns>
    public SessionTarget? TargetFor(SessionOperation operation) => Phase switch
    {
        SessionPhase.Unread => new SessionTarget(CookieId!, operation is SessionOperation.Commit or SessionOperation.Destroy),
        SessionPhase.Live => new SessionTarget(Id!, operation switch
        {
            SessionOperation.Read => false,
            SessionOperation.Atomic => Loaded,
            _ => true,
        }),
        _ => null,
    };

    /// <summary>The id a new visitor's session will get (and <c>ISession.Id</c> shows meanwhile).</summary>
    /// <returns>A fresh id, the same until it is used or renewed.</returns>
    public string ProvisionalId()
    {
        if (Phase == SessionPhase.Live)
        {
            return Id!;
        }

        while (_provisional is null || (_dead is not null && _dead.Contains(_provisional)))
        {
            _provisional = SessionIds.NewId();
        }

        return _provisional;
    }

    /// <summary>Forgets the provisional id (a create met an existing key, or a rotation without a session).</summary>
    public void RenewProvisionalId() => _provisional = null;

    /// <summary>The session was read and is honoured.</summary>
    /// <param name="id">The id read.</param>
    /// <param name="renewalDue">Whether its identifier is due for renewal (<see cref="RenewalDue"/>).</param>
    public void OnLoaded(string id, bool renewalDue = false)
    {
        Require(NeedsLoad, nameof(OnLoaded));
        Phase = SessionPhase.Live;
        Id = id;
        Loaded = true;
        _renewalDue = renewalDue;
    }

    /// <summary>The renewal was tried (renewed or not: another request rotated first, the session ended): never again in this request.</summary>
    public void OnRenewalTried() => _renewalDue = false;

    /// <summary>
    /// The cookie names no session this request may use: not found, expired, corrupt, a tombstone, or
    /// bound to another client. The rest of the request is a new visitor; the cookie is not adopted.
    /// </summary>
    public void OnNotHeld()
    {
        if (Phase == SessionPhase.Live)
        {
            (_dead ??= new(StringComparer.Ordinal)).Add(Id!);
        }

        if (CookieId is not null)
        {
            (_dead ??= new(StringComparer.Ordinal)).Add(CookieId);
        }

        ToNew();
    }

    /// <summary>A commit or atomic operation landed in the targeted id itself.</summary>
    /// <param name="id">The id it landed in.</param>
    public void OnWritten(string id)
    {
        if (Phase == SessionPhase.Unread)
        {
            Phase = SessionPhase.Live;
            Id = id;
            Loaded = false;
        }
    }

    /// <summary>
    /// A write landed through a tombstone in the session it forwards to. A request that read the
    /// session before the seal keeps its id; any other is a new visitor from now on.
    /// </summary>
    public void OnForwarded()
    {
        if (Phase == SessionPhase.Live && Loaded)
        {
            // Rotated by another request meanwhile: that one carries the new id; this one renews nothing.
            _renewalDue = false;
            return;
        }

        OnNotHeld();
    }

    /// <summary>The session this request had was logged out, revoked or expired: never recreated.</summary>
    public void OnDied() => OnNotHeld();

    /// <summary>This request created a session.</summary>
    /// <param name="id">Its id.</param>
    public void OnCreated(string id)
    {
        Require(Phase == SessionPhase.New, nameof(OnCreated));
        Phase = SessionPhase.Live;
        Id = id;
        Loaded = true;
        CreatedHere = true;
        _provisional = null;
    }

    /// <summary>This request rotated its session to a new id (or bound in place the one it created).</summary>
    /// <param name="newId">The new id.</param>
    public void OnRotated(string newId)
    {
        Require(Phase == SessionPhase.Live && Loaded, nameof(OnRotated));
        (_dead ??= new(StringComparer.Ordinal)).Add(Id!);
        Id = newId;
        CreatedHere = true;
    }

    /// <summary>This request ended its session (logout).</summary>
    public void OnDestroyed()
    {
        OnNotHeld();
        CookieId = null;
        Destroyed = true;
    }

    /// <summary>Forget what was read (after waiting for the session lock, so the handler reads under it).</summary>
    public void Unload()
    {
        if (Phase == SessionPhase.Live)
        {
            Loaded = false;
        }
    }

    /// <summary>Whether this request has seen <paramref name="id"/> die (or refused it).</summary>
    /// <param name="id">An id.</param>
    /// <returns><see langword="true"/> when it must never be used again by this request.</returns>
    public bool HasSeenDie(string id) => _dead is not null && _dead.Contains(id);

    /// <summary>The cookie decision at response start.</summary>
    /// <returns>What to do with the cookie.</returns>
    public CookieAction Cookie() => CookieDecision.Decide(Phase, Id, CookieId, Destroyed);

    private void ToNew()
    {
        _renewalDue = false;
        Phase = SessionPhase.New;
        Id = null;
        Loaded = false;
        CreatedHere = false;
        CookieId = null;
    }

    private static void Require(bool condition, string transition)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Invalid session transition {transition}.");
        }
    }
}
