namespace Tessera;

/// <summary>Metadata a request writes beside its value changes (bindings and per-session timeouts).</summary>
public sealed class SessionWrite
{
    /// <summary>A per-session idle timeout to store, overriding the configured one.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>A per-session absolute deadline (for example, created time plus a "remember me" lifetime).</summary>
    public DateTimeOffset? AbsoluteDeadline { get; set; }

    /// <summary>The creation time to keep (rotation carries it over); only honoured when a session is created.</summary>
    public DateTimeOffset? Created { get; set; }

    /// <summary>The user to bind the session to.</summary>
    public string? UserId { get; set; }

    /// <summary>The client address to record.</summary>
    public string? ClientIp { get; set; }

    /// <summary>The user agent to record.</summary>
    public string? UserAgent { get; set; }

    /// <summary>
    /// When the user authenticated: <see cref="DateTimeOffset.MinValue"/> means now, by Redis's clock
    /// (a sign-in); another value is stored as it is (a rotation carries the old one over).
    /// </summary>
    public DateTimeOffset? AuthenticatedAt { get; set; }

    /// <summary>The handle of the login (a ticket) the session belongs to: the two are then one device.</summary>
    public string? LoginHandle { get; set; }

    /// <summary>The device's name to record (cleaned with <see cref="DeviceText.Name"/> before it is stored; null, or nothing left after cleaning, keeps what is stored).</summary>
    public string? DeviceName { get; set; }

    /// <summary>How the user signed in (cleaned with <see cref="DeviceText.Method"/> before it is stored).</summary>
    public string? SignInMethod { get; set; }

    /// <summary>Whether the session is indexed as a companion of a login that is being stored in this request.</summary>
    internal bool Companion { get; set; }

    /// <summary>Whether any metadata is set.</summary>
    public bool IsEmpty => IdleTimeout is null && AbsoluteDeadline is null && Created is null && UserId is null && ClientIp is null && UserAgent is null
        && AuthenticatedAt is null && LoginHandle is null && DeviceName is null && SignInMethod is null;

    /// <summary>Whether the session is to be indexed as part of a login.</summary>
    internal bool IsCompanion => Companion || LoginHandle is not null;

    // The rule for a write over a session's metadata, one copy for the store (rotation) and the request's
    // snapshot: the login link and authentication time belong to the user signed in, so a sign-in as
    // someone else carries neither of the previous user's.

    /// <summary>
    /// The metadata of the session a rotation creates: the old session's creation time, deadline, timeouts,
    /// user and client unless <paramref name="write"/> sets them, under the login and authentication rule below.
    /// </summary>
    internal static SessionWrite ForRotation(SessionWrite? write, SessionMetadata meta) => new()
    {
        Created = meta.Created,
        AbsoluteDeadline = write?.AbsoluteDeadline ?? meta.AbsoluteDeadline,
        IdleTimeout = write?.IdleTimeout ?? meta.IdleTimeout,
        UserId = write?.UserId ?? meta.UserId,
        ClientIp = write?.ClientIp ?? meta.ClientIp,
        UserAgent = write?.UserAgent ?? meta.UserAgent,
        AuthenticatedAt = AuthenticatedAfter(write, meta),
        LoginHandle = LoginAfter(write, meta),
        DeviceName = write?.DeviceName ?? (SameUser(write, meta) ? meta.DeviceName : null),
        SignInMethod = write?.SignInMethod ?? (SameUser(write, meta) ? meta.SignInMethod : null),
        Companion = write?.Companion ?? false,
    };

    /// <summary>The login handle a session has after <paramref name="write"/> (null: none).</summary>
    internal static string? LoginAfter(SessionWrite? write, SessionMetadata meta) =>
        write?.LoginHandle ?? (SameUser(write, meta) ? meta.LoginHandle : null);

    /// <summary>The authentication time after <paramref name="write"/>; <see cref="DateTimeOffset.MinValue"/> is "now, by Redis's clock".</summary>
    internal static DateTimeOffset? AuthenticatedAfter(SessionWrite? write, SessionMetadata meta) =>
        write?.AuthenticatedAt ?? (SameUser(write, meta) ? meta.AuthenticatedAt : null);

    private static bool SameUser(SessionWrite? write, SessionMetadata meta) => write?.UserId is null || write.UserId == meta.UserId;
}
