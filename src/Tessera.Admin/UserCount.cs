namespace Tessera.Admin;

/// <summary>How many live sessions a user has.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Sessions">The number of sessions found bound to the user.</param>
public sealed record UserCount(string UserId, long Sessions);
