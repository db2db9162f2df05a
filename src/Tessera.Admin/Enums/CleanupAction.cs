namespace Tessera.Admin;

/// <summary>What <see cref="SessionAdmin.CleanupAsync"/> does to each TTL-less session.</summary>
public enum CleanupAction
{
    /// <summary>Nothing: a dry run that only counts and lists.</summary>
    None,

    /// <summary>Give it a TTL (only if it still has none).</summary>
    Expire,

    /// <summary>Delete it (only if it still has no TTL) and drop it from its user's index.</summary>
    Delete,
}
