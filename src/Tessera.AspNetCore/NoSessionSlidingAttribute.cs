namespace Tessera.AspNetCore;

/// <summary>
/// Marks an endpoint (or a controller or action) whose requests read the session without extending it:
/// no sliding refresh with the read (which stays one round trip) and no background slide of an untouched
/// session, so a poll (notifications, "how long until I am signed out?") does not keep a user signed in.
/// A request that writes the session (a commit, an atomic operation) still slides it: a write is
/// activity. For minimal APIs, <c>WithoutSessionSliding()</c> adds it. <c>app.UseRouting()</c> must come
/// before <c>app.UseTessera()</c> (as <c>WebApplication</c> does by itself) so the middleware sees it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class NoSessionSlidingAttribute : Attribute
{
}
