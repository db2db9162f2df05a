namespace Tessera.Demo.Model;

/// <summary>
/// A one-time message shown at the top of the next page (kept in the session between a POST and the
/// page it redirects to, or named by a fixed code in the query when there is no session).
/// </summary>
/// <param name="Kind">success, info or warning.</param>
/// <param name="Text">The message (plain text; encoded when shown).</param>
/// <param name="By">The instance that did the action, if any.</param>
/// <param name="OldId">The old session-ID prefix of a rotation, if any.</param>
/// <param name="NewId">The new session-ID prefix of a rotation, if any.</param>
public sealed record Notice(string Kind, string Text, string? By = null, string? OldId = null, string? NewId = null);
