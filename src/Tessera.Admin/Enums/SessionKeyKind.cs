namespace Tessera.Admin;

/// <summary>What a key under the Tessera prefix holds.</summary>
public enum SessionKeyKind
{
    /// <summary>A live session hash: it has its last access, idle timeout and deadline (<c>#a</c>, <c>#i</c>, <c>#d</c>), as the store requires.</summary>
    Session,

    /// <summary>A rotation tombstone: a hash with only <c>#r</c>, the new identifier, and a short TTL.</summary>
    Tombstone,

    /// <summary>A user index: the sorted set <c>{prefix}user:{userId}</c>.</summary>
    UserIndex,

    /// <summary>A per-session lock: the string <c>{prefix}lock:{id}</c>.</summary>
    Lock,

    /// <summary>Anything else under the prefix: not written by Tessera, or damaged.</summary>
    Foreign,

    /// <summary>The key disappeared between the scan and the read (expired or deleted meanwhile).</summary>
    Gone,

    /// <summary>Analytics kept by <c>AddTesseraAnalytics()</c> and the dashboard: <c>{prefix}analytics:*</c>.</summary>
    Analytics,
}
