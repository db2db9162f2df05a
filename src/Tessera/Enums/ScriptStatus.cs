namespace Tessera.Internal;

/// <summary>
/// The status that starts every session script's reply. The Lua scripts are built from these values
/// (<see cref="LuaScripts"/> interpolates them), so the scripts and the parsers cannot disagree.
/// </summary>
internal enum ScriptStatus
{
    /// <summary>A stored value is not an integer (increment).</summary>
    NotInteger = -2,

    /// <summary>The key is not a Tessera session hash.</summary>
    Corrupt = -1,

    /// <summary>No such key.</summary>
    NotFound = 0,

    /// <summary>Done.</summary>
    Ok = 1,

    /// <summary>A tombstone: the next reply element is the handle of the session it was rotated into.</summary>
    Rotated = 2,

    /// <summary>The absolute deadline passed; the key was deleted.</summary>
    Expired = 3,

    /// <summary>The write would pass the byte limit; nothing was written. The next reply element is the size it would have had.</summary>
    TooLarge = 4,

    /// <summary>The key exists already (create).</summary>
    Conflict = 5,

    /// <summary>The write would pass the field limit; nothing was written. The next reply element is the caller fields it would have left.</summary>
    TooManyFields = 6,

    /// <summary>The user already has the most devices allowed, and the policy refuses a new one.</summary>
    LimitReached = 8,
}
