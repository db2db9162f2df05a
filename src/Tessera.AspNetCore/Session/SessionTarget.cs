namespace Tessera.AspNetCore;

/// <summary>The id a Redis call targets, and whether it may follow a rotation tombstone to the new id.</summary>
/// <param name="Id">The session id.</param>
/// <param name="FollowRotation">Whether the call may land in the session a tombstone forwards to.</param>
internal readonly record struct SessionTarget(string Id, bool FollowRotation);
