namespace Tessera;

/// <summary>One page of a user's devices.</summary>
/// <param name="Devices">The devices on this page, most recently seen first.</param>
/// <param name="Total">How many devices the user has.</param>
/// <param name="Offset">How many devices come before this page.</param>
public sealed record UserSessionPage(IReadOnlyList<SessionInfo> Devices, int Total, int Offset);
