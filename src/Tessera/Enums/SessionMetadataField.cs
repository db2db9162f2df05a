namespace Tessera;

/// <summary>
/// What a metadata field of a session hash holds. The values are the positions of the fields in Tessera's
/// layout (and in an <c>HMGET</c> reply of them), so there is one list; tools that show a hash as stored
/// name its fields with it (<c>Tessera.Admin.SessionHashFields.MetadataOf</c>).
/// </summary>
public enum SessionMetadataField
{
    /// <summary><c>#c</c>: created, Unix ms.</summary>
    Created,

    /// <summary><c>#a</c>: last access, Unix ms.</summary>
    LastAccess,

    /// <summary><c>#i</c>: idle timeout, ms.</summary>
    IdleMs,

    /// <summary><c>#d</c>: absolute deadline, Unix ms.</summary>
    Deadline,

    /// <summary><c>#s</c>: size of the caller fields, bytes.</summary>
    Size,

    /// <summary><c>#u</c>: the bound user.</summary>
    User,

    /// <summary><c>#ip</c>: the client address.</summary>
    ClientIp,

    /// <summary><c>#ua</c>: the user agent.</summary>
    UserAgent,

    /// <summary><c>#r</c>: on a tombstone, the handle of the session it was rotated into.</summary>
    RotatedTo,

    /// <summary><c>#au</c>: when the user last signed in (authenticated) on this session, Unix ms.</summary>
    AuthenticatedAt,

    /// <summary><c>#ln</c>: the handle of the login (a ticket) this session belongs to.</summary>
    Login,

    /// <summary><c>#lip</c>: the client address last seen (updated with the sliding refresh).</summary>
    LastClientIp,

    /// <summary><c>#lua</c>: the user agent last seen (updated with the sliding refresh).</summary>
    LastUserAgent,

    /// <summary><c>#ii</c>: when the current identifier was issued (creation or the last rotation), Unix ms.</summary>
    IdIssued,

    /// <summary><c>#n</c>: the device's name, chosen by its user.</summary>
    DeviceName,

    /// <summary><c>#m</c>: how the user signed in on the device, set by the app.</summary>
    SignInMethod,

    /// <summary>A metadata field (it starts with one <c>#</c>) this version of Tessera does not know. Not a position: always last.</summary>
    Unknown,
}
