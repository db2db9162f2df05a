using Tessera.AspNetCore;

namespace Tessera.AspNetCore.Tests.Session;

public sealed class RequestSessionStateTests
{
    private static readonly string Cookie = SessionIds.NewId();

    [Fact]
    public void Unread_ReadsAndAtomics_TargetTheCookie_WithoutFollowingARotation()
    {
        var state = new RequestSessionState(Cookie);
        Assert.Equal(new SessionTarget(Cookie, false), state.TargetFor(SessionOperation.Read));
        Assert.Equal(new SessionTarget(Cookie, false), state.TargetFor(SessionOperation.Atomic));
        // The pending delta may land through a tombstone (the in-flight promise); logout ends what it points to.
        Assert.Equal(new SessionTarget(Cookie, true), state.TargetFor(SessionOperation.Commit));
        Assert.Equal(new SessionTarget(Cookie, true), state.TargetFor(SessionOperation.Destroy));
    }

    [Fact]
    public void NoCookie_IsANewVisitor_AndTargetsNothing()
    {
        var state = new RequestSessionState(null);
        Assert.Equal(SessionPhase.New, state.Phase);
        Assert.All(Enum.GetValues<SessionOperation>(), op => Assert.Null(state.TargetFor(op)));
        Assert.False(state.NeedsLoad);
    }

    [Fact]
    public void Loaded_FollowsForAtomics_WriteOnly_DoesNot()
    {
        var loaded = new RequestSessionState(Cookie);
        loaded.OnLoaded(Cookie);
        Assert.Equal(new SessionTarget(Cookie, true), loaded.TargetFor(SessionOperation.Atomic));

        var written = new RequestSessionState(Cookie);
        written.OnWritten(Cookie);
        Assert.Equal(SessionPhase.Live, written.Phase);
        Assert.Equal(new SessionTarget(Cookie, false), written.TargetFor(SessionOperation.Atomic));
        Assert.True(written.NeedsLoad);
    }

    [Fact]
    public void Forwarded_WithoutARead_BecomesANewVisitor_NeverLearningTheNewId()
    {
        var state = new RequestSessionState(Cookie);
        state.OnForwarded();
        Assert.Equal(SessionPhase.New, state.Phase);
        Assert.Null(state.Id);
        Assert.Null(state.CookieId);
        Assert.NotEqual(Cookie, state.ProvisionalId());
        Assert.Equal(CookieAction.None, state.Cookie());
    }

    [Fact]
    public void Forwarded_AfterARead_KeepsItsOwnId()
    {
        var state = new RequestSessionState(Cookie);
        state.OnLoaded(Cookie);
        state.OnForwarded();
        Assert.Equal(SessionPhase.Live, state.Phase);
        Assert.Equal(Cookie, state.Id);
        Assert.Equal(CookieAction.None, state.Cookie());
    }

    [Fact]
    public void Died_NeverHandsOutTheDeadId_AndANewSessionGetsAFreshOne()
    {
        var state = new RequestSessionState(Cookie);
        state.OnLoaded(Cookie);
        state.OnDied();
        Assert.True(state.HasSeenDie(Cookie));
        var fresh = state.ProvisionalId();
        Assert.NotEqual(Cookie, fresh);
        state.OnCreated(fresh);
        Assert.Equal(CookieAction.Issue, state.Cookie());
        Assert.Equal(fresh, state.Id);
        Assert.True(state.CreatedHere);
    }

    [Fact]
    public void Rotated_IssuesTheNewId_AndRemembersTheOldAsDead()
    {
        var state = new RequestSessionState(Cookie);
        state.OnLoaded(Cookie);
        var next = SessionIds.NewId();
        state.OnRotated(next);
        Assert.Equal(CookieAction.Issue, state.Cookie());
        Assert.True(state.HasSeenDie(Cookie));
        Assert.True(state.CreatedHere);
    }

    [Fact]
    public void Destroyed_DeletesTheCookie_UnlessANewSessionWasMadeAfter()
    {
        var state = new RequestSessionState(Cookie);
        state.OnLoaded(Cookie);
        state.OnDestroyed();
        Assert.Equal(CookieAction.Delete, state.Cookie());
        state.OnCreated(state.ProvisionalId());
        Assert.Equal(CookieAction.Issue, state.Cookie());
    }

    [Fact]
    public void InvalidTransitions_Throw()
    {
        var unread = new RequestSessionState(Cookie);
        Assert.Throws<InvalidOperationException>(() => unread.OnRotated(SessionIds.NewId()));
        Assert.Throws<InvalidOperationException>(() => unread.OnCreated(SessionIds.NewId()));
        var live = new RequestSessionState(Cookie);
        live.OnLoaded(Cookie);
        Assert.Throws<InvalidOperationException>(() => live.OnLoaded(Cookie));
    }

    [Fact]
    public void ProvisionalId_IsStable_UntilRenewed()
    {
        var state = new RequestSessionState(null);
        var first = state.ProvisionalId();
        Assert.Equal(first, state.ProvisionalId());
        state.RenewProvisionalId();
        Assert.NotEqual(first, state.ProvisionalId());
    }

    [Theory]
    [InlineData(1, "a", "a", false, 0)]
    [InlineData(1, "b", "a", false, 1)]
    [InlineData(1, "b", null, false, 1)]
    [InlineData(2, null, null, false, 0)]
    [InlineData(2, null, null, true, 2)]
    [InlineData(0, null, "a", false, 0)]
    public void CookieDecision_FollowsTheState(int phase, string? id, string? cookie, bool destroyed, int expected) =>
        Assert.Equal((CookieAction)expected, CookieDecision.Decide((SessionPhase)phase, id, cookie, destroyed));

    [Fact]
    public void KnowsContents_ForANewVisitorOrALoadedSession_NotAnUnreadOrWriteOnlyOne()
    {
        Assert.True(new RequestSessionState(null).KnowsContents);
        var unread = new RequestSessionState(SessionIds.NewId());
        Assert.False(unread.KnowsContents);
        var writeOnly = new RequestSessionState(SessionIds.NewId());
        writeOnly.OnWritten(writeOnly.CookieId!);
        Assert.False(writeOnly.KnowsContents);
        var loaded = new RequestSessionState(SessionIds.NewId());
        loaded.OnLoaded(loaded.CookieId!);
        Assert.True(loaded.KnowsContents);
    }

    [Fact]
    public void RenewalDue_HoldsForALoadedSession_UntilItIsTriedRotatedForwardedOrLost()
    {
        var state = new RequestSessionState(Cookie);
        Assert.False(state.RenewalDue);
        state.OnLoaded(Cookie, renewalDue: true);
        Assert.True(state.RenewalDue);
        state.OnRenewalTried();
        Assert.False(state.RenewalDue);

        var rotated = new RequestSessionState(Cookie);
        rotated.OnLoaded(Cookie, renewalDue: true);
        rotated.OnRotated(SessionIds.NewId());
        Assert.False(rotated.RenewalDue);

        // Another request rotated it first: this one's writes followed, and it renews nothing.
        var forwarded = new RequestSessionState(Cookie);
        forwarded.OnLoaded(Cookie, renewalDue: true);
        forwarded.OnForwarded();
        Assert.False(forwarded.RenewalDue);

        var died = new RequestSessionState(Cookie);
        died.OnLoaded(Cookie, renewalDue: true);
        died.OnDied();
        Assert.False(died.RenewalDue);

        // Unloaded (to read again under the session lock): decided again by the next load.
        var unloaded = new RequestSessionState(Cookie);
        unloaded.OnLoaded(Cookie, renewalDue: true);
        unloaded.Unload();
        Assert.False(unloaded.RenewalDue);
        unloaded.OnLoaded(Cookie);
        Assert.False(unloaded.RenewalDue);
    }
}
