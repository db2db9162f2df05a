namespace Tessera.Internal;

/// <summary>One member of a user's index and its session's metadata (<see cref="SessionLayout.MetadataFields"/>).</summary>
/// <param name="Member">The member as stored.</param>
/// <param name="Handle">The session's handle.</param>
/// <param name="Companion">Whether the member is a login's companion.</param>
/// <param name="Metadata">The session's metadata.</param>
internal sealed record UserIndexRow(string Member, string Handle, bool Companion, SessionMetadata Metadata)
{
    /// <summary>The login the session belongs to, or null.</summary>
    public string? Login => Metadata.LoginHandle;
}
