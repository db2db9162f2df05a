using System.Text;
using Tessera.AspNetCore;

namespace Tessera.AspNetCore.Tests.Session;

public sealed class SessionViewTests
{
    private static SessionRecord Record(params (string Key, string Value)[] values) =>
        new(SessionIds.NewId(), new SessionMetadata(), values.ToDictionary(v => v.Key, v => Encoding.UTF8.GetBytes(v.Value)), DateTimeOffset.UnixEpoch);

    [Fact]
    public void ValuesWithALifetime_AreSeenUntilTheirDeadline_FromTheSnapshotAndPending_AndKeepItAfterACommit()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var now = clock.GetUtcNow();
        var view = new SessionView { Clock = clock };
        view.Attach(Record(("code", "1"), ("keep", "2")) with { Expiries = new Dictionary<string, DateTimeOffset> { ["code"] = now.AddSeconds(10) } });
        view.Pending.Set("flash", "3"u8.ToArray(), now.AddSeconds(20));

        Assert.True(view.TryGet("code", out _));
        Assert.True(view.Holds("code"));
        Assert.False(view.HoldsSame("code", "1"u8), "setting it without a lifetime changes it");
        Assert.Equal(["code", "flash", "keep"], view.Keys.Order(StringComparer.Ordinal));

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(view.TryGet("code", out _));
        Assert.False(view.Holds("code"));
        Assert.True(view.TryGet("flash", out _));
        Assert.Equal(["flash", "keep"], view.Keys.Order(StringComparer.Ordinal));

        view.ApplyCommitted(clock.GetUtcNow());
        Assert.Equal(now.AddSeconds(20), view.ToRecord(SessionIds.NewId()).Expiries["flash"]);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(view.TryGet("flash", out _));
        Assert.Equal(["keep"], view.Keys);

        // An atomic write (no lifetime) over it makes it an ordinary value again.
        view.Remember("flash", "4"u8.ToArray());
        Assert.True(view.TryGet("flash", out _));
    }

    [Fact]
    public void PendingChanges_WinOverTheSnapshot_AndRemovalsHideValues()
    {
        var view = new SessionView();
        view.Attach(Record(("a", "1"), ("b", "2")));
        view.Pending.Set("a", "x"u8.ToArray());
        view.Pending.Remove("b");
        view.Pending.Set("c", "3"u8.ToArray());

        Assert.True(view.TryGet("a", out var a));
        Assert.Equal("x", Encoding.UTF8.GetString(a));
        Assert.False(view.TryGet("b", out _));
        Assert.Equal(["a", "c"], view.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Clear_HidesTheSnapshot_ButKeepsLaterSets()
    {
        var view = new SessionView();
        view.Attach(Record(("a", "1")));
        view.Pending.Clear();
        view.Pending.Set("z", "9"u8.ToArray());
        Assert.False(view.TryGet("a", out _));
        Assert.Equal(["z"], view.Keys);
        view.ApplyCommitted(DateTimeOffset.UnixEpoch);
        Assert.Equal(["z"], view.Keys);
        Assert.False(view.IsDirty);
    }

    [Fact]
    public void DropPending_ForgetsChangesAndMetadata()
    {
        var view = new SessionView();
        view.Pending.Set("a", "1"u8.ToArray());
        view.Write = new SessionWrite { UserId = "ada" };
        Assert.True(view.IsDirty);
        view.DropPending();
        Assert.False(view.IsDirty);
        Assert.Empty(view.Keys);
    }

    [Fact]
    public void Counters_AreCarriedAsCounters_InTheRecord()
    {
        var view = new SessionView();
        view.Attach(Record(("a", "1")));
        view.RememberCounter("views", 41);
        var record = view.ToRecord(SessionIds.NewId());
        Assert.Contains("views", record.Counters);
        Assert.Equal("41", Encoding.ASCII.GetString(record.Values["views"]));
        view.Remember("views", "text"u8.ToArray());
        Assert.DoesNotContain("views", view.ToRecord(SessionIds.NewId()).Counters);
    }

    [Fact]
    public void StaleValues_AreNotPendingChanges_ButKeptForAConditionalRewrite()
    {
        var record = Record(("a", "1"), ("b", "2"));
        var stale = record with { Stale = new HashSet<string> { "a" }, StaleStored = new Dictionary<string, byte[]> { ["a"] = [0, (byte)'1'] } };
        var view = new SessionView();
        view.Attach(stale);
        // Re-encryption must never ride on the delta: it would overwrite a concurrent update.
        Assert.False(view.IsDirty);
        Assert.Same(stale, view.StaleRecord);
        view.Attach(record);
        Assert.Null(view.StaleRecord);
    }

    [Fact]
    public void Holds_SeesPendingValuesAndCounters_NotRemovalsOrAClear()
    {
        var view = new SessionView { CountersOnlyAsCounters = true };
        view.Attach(Record(("a", "1")) with { Counters = new HashSet<string> { "a" } });
        Assert.True(view.Holds("a"));
        Assert.False(view.Holds("absent"));
        view.Pending.Remove("a");
        Assert.False(view.Holds("a"));
        view.Pending.Set("b", "2"u8.ToArray());
        Assert.True(view.Holds("b"));
        view.Pending.Clear();
        Assert.False(view.Holds("b"));
        Assert.True(view.HoldsNothing);
    }

    [Fact]
    public void HoldsSame_OnlyForTheSameBytesAsAValue_WithNothingPending()
    {
        var view = new SessionView();
        view.Attach(Record(("a", "1"), ("n", "5")) with { Counters = new HashSet<string> { "n" } });
        Assert.True(view.HoldsSame("a", "1"u8));
        Assert.False(view.HoldsSame("a", "2"u8));
        Assert.False(view.HoldsSame("n", "5"u8));
        Assert.False(view.HoldsSame("absent", "1"u8));
        view.Pending.Remove("a");
        Assert.False(view.HoldsSame("a", "1"u8));
    }
}
