using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Wire;

namespace Tessera.Tests.Wire;

public sealed class SessionHashTests
{
    private static HashEntry[] Session(params (string Field, RedisValue Value)[] more) =>
        [new("#c", 1000), new("#a", 2000), new("#i", 60_000), new("#d", 9_000_000), new("#s", 0), .. more.Select(static m => new HashEntry(m.Field, m.Value))];

    [Fact]
    public void KindOf_LastAccessIdleAndDeadline_IsASession_WithoutACreatedTime()
    {
        var slots = SessionHash.Split([new("#a", 1), new("#i", 2), new("#d", 3)], null);
        Assert.Equal(SessionHashKind.Session, SessionHash.KindOf(slots));
    }

    [Theory]
    [InlineData("#a")]
    [InlineData("#i")]
    [InlineData("#d")]
    public void KindOf_WithoutOneOfTheFieldsEveryScriptNeeds_IsForeign_EvenWithACreatedTime(string missing)
    {
        var entries = Session().Where(e => (string)e.Name! != missing).ToArray();
        Assert.Equal(SessionHashKind.Foreign, SessionHash.KindOf(SessionHash.Split(entries, null)));
    }

    [Fact]
    public void Metadata_IdIssuedAt_IsTheIssueTime_OrTheCreationForASessionWrittenWithoutOne()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(5000), SessionHash.Metadata(SessionHash.Split(Session(("#ii", 5000)), null)).IdIssuedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1000), SessionHash.Metadata(SessionHash.Split(Session(), null)).IdIssuedAt);
    }

    [Fact]
    public void KindOf_ATombstone_IsATombstone_WhateverElseItHolds()
    {
        Assert.Equal(SessionHashKind.Tombstone, SessionHash.KindOf(SessionHash.Split(Session(("#r", "abc")), null)));
        Assert.Equal(SessionHashKind.Tombstone, SessionHash.KindOf(SessionHash.Split([new("#r", "abc")], null)));
    }

    [Fact]
    public void KindOf_NoMetadata_IsAbsent_OnlyCallerFieldsOrUnknownMarkers_TooSoSplitTellsThemApart()
    {
        Assert.Equal(SessionHashKind.Absent, SessionHash.KindOf(SessionHash.Split([], null)));
        var users = new List<HashEntry>();
        var slots = SessionHash.Split([new("name", "x"), new("#wrongtype", 1)], users);
        Assert.Equal(SessionHashKind.Absent, SessionHash.KindOf(slots));
        Assert.Equal(["name"], users.Select(static u => (string)u.Name!));
    }

    [Fact]
    public void Split_SeparatesCallerFields_IncludingEscapedOnes_FromMetadata()
    {
        var users = new List<HashEntry>();
        var slots = SessionHash.Split(Session(("cart", "3"), ("##c", "not metadata"), ("#u", "alice")), users);
        Assert.Equal(["cart", "##c"], users.Select(static u => (string)u.Name!));
        Assert.Equal("alice", (string?)slots[(int)SessionMetadataField.User]);
    }

    [Fact]
    public void Metadata_ReadsEveryField_AndTheSameFromAnHmgetReply()
    {
        var login = SessionIds.Handle(SessionIds.NewId());
        var fromHgetall = SessionHash.Split(Session(("#u", "alice"), ("#au", 1500), ("#ln", login), ("#lip", "127.0.0.1")), null);
        var fromHmget = SessionLayout.MetadataFields.Select(f => fromHgetall[Array.IndexOf(SessionLayout.MetadataFields, f)]).ToArray();
        foreach (var slots in new[] { fromHgetall, fromHmget })
        {
            var m = SessionHash.Metadata(slots);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1000), m.Created);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), m.LastAccess);
            Assert.Equal(TimeSpan.FromMinutes(1), m.IdleTimeout);
            Assert.Equal("alice", m.UserId);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1500), m.AuthenticatedAt);
            Assert.Equal(login, m.LoginHandle);
            Assert.Equal("127.0.0.1", m.LastClientIp);
        }
    }

    [Fact]
    public void Metadata_AuthenticationTimeZero_IsNever_AndALoginThatIsNotAHandle_IsNone()
    {
        var m = SessionHash.Metadata(SessionHash.Split(Session(("#au", 0), ("#ln", "forged")), null));
        Assert.Null(m.AuthenticatedAt);
        Assert.Null(m.LoginHandle);
    }

    [Theory]
    [InlineData("#a", "soon")]
    [InlineData("#d", "1e9")]
    [InlineData("#s", "")]
    public void Metadata_ATimeOrSizeThatIsNotAnInteger_IsCorrupt(string field, string value)
    {
        var entries = Session().Select(e => (string)e.Name! == field ? new HashEntry(field, value) : e).ToArray();
        Assert.Throws<CorruptSessionException>(() => SessionHash.Metadata(SessionHash.Split(entries, null)));
    }
}
