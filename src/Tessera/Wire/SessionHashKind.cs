namespace Tessera.Wire;

/// <summary>What a key under the prefix holds, by <see cref="SessionHash.KindOf"/>: the one rule every reader uses.</summary>
internal enum SessionHashKind
{
    /// <summary>Nothing (the key does not exist, or the reply was empty).</summary>
    Absent = 0,

    /// <summary>A live session: a hash with its last access (<c>#a</c>), idle timeout (<c>#i</c>) and deadline (<c>#d</c>), what every script needs.</summary>
    Session = 1,

    /// <summary>A rotation tombstone: a hash with <c>#r</c>, the new session's handle.</summary>
    Tombstone = 2,

    /// <summary>A hash that is neither: written by someone else, or damaged.</summary>
    Foreign = 3,
}
