using FsCheck.Xunit;

namespace Tessera.Tests;

/// <summary>The revocation notice's one wire form: what is written reads back the same; anything else is refused whole.</summary>
public sealed class RevocationMessageTests
{
    private static readonly string Origin = RevocationMessage.NewOrigin();

    private static string Handle() => SessionIds.Handle(SessionIds.NewId());

    [Theory]
    [InlineData(RevocationScope.Logout, 1)]
    [InlineData(RevocationScope.Revoked, 3)]
    [InlineData(RevocationScope.Revoked, RevocationMessage.MaxHandles)]
    [InlineData(RevocationScope.Everyone, 0)]
    public void Format_ReadsBack_WithItsOrigin_AsNotLocal(RevocationScope scope, int count)
    {
        var handles = Enumerable.Range(0, count).Select(_ => Handle()).ToArray();
        var text = RevocationMessage.Format(Origin, scope, null, handles);
        Assert.True(text.Length <= RevocationMessage.MaxLength);
        Assert.True(RevocationMessage.TryParse(text, out var origin, out var notice));
        Assert.Equal(Origin, origin);
        Assert.Equal(scope, notice.Scope);
        Assert.Equal(handles, notice.Handles);
        Assert.Null(notice.Successor);
        Assert.False(notice.IsLocal);
    }

    [Fact]
    public void Rotation_CarriesItsSuccessor()
    {
        var (old, successor) = (Handle(), Handle());
        Assert.True(RevocationMessage.TryParse(RevocationMessage.Format(Origin, RevocationScope.Rotated, successor, [old]), out _, out var notice));
        Assert.Equal([old], notice.Handles);
        Assert.Equal(successor, notice.Successor);
        Assert.True(notice.Concerns(old));
        Assert.False(notice.Concerns(successor));
    }

    [Fact]
    public void EveryoneAndResync_ConcernEveryHandle_OthersOnlyTheirOwn()
    {
        var (named, other) = (Handle(), Handle());
        Assert.True(new RevocationNotice(RevocationScope.Everyone, [], null, false).Concerns(other));
        Assert.True(new RevocationNotice(RevocationScope.Resync, [], null, true).Concerns(other));
        Assert.True(new RevocationNotice(RevocationScope.Logout, [named], null, false).Concerns(named));
        Assert.False(new RevocationNotice(RevocationScope.Revoked, [named], null, false).Concerns(other));
    }

    public static TheoryData<string> Refused()
    {
        var h = Handle();
        return new TheoryData<string>(
            string.Empty,
            "t1",
            $"t1|{Origin}|2||{h}|",                                   // six parts
            $"t2|{Origin}|2||{h}",                                    // another version
            $"t1|{Origin[..15]}|2||{h}",                              // short origin
            $"t1|0123456789ABCDEF|2||{h}",                            // not lower-case hex
            $"t1|0123456789abcdeg|2||{h}",                            // not hex
            $"t1|{Origin}|0||{h}",                                    // a resync is never sent
            $"t1|{Origin}|5||{h}",                                    // no such scope
            $"t1|{Origin}|12||{h}",                                   // two digits
            $"t1|{Origin}|2||",                                       // a revocation naming nothing
            $"t1|{Origin}|2|{h}|{h}",                                 // a successor on a revocation
            $"t1|{Origin}|3||{h}",                                    // a rotation without its successor
            $"t1|{Origin}|3|{h}|{h},{h}",                             // a rotation of two
            $"t1|{Origin}|4||{h}",                                    // "everyone" naming a handle
            $"t1|{Origin}|2||{h},",                                   // an empty handle
            $"t1|{Origin}|2||{h[..42]}",                              // a short handle
            $"t1|{Origin}|2||{h[..42]}=",                             // not base64url
            $"t1|{Origin}|2||" + string.Join(',', Enumerable.Repeat(h, RevocationMessage.MaxHandles + 1)),
            new string('x', RevocationMessage.MaxLength + 1));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void AnythingElse_IsRefusedWhole(string text) => Assert.False(RevocationMessage.TryParse(text, out _, out _));

    [Fact]
    public void Null_IsRefused() => Assert.False(RevocationMessage.TryParse(null, out _, out _));

    [Property(MaxTest = 500)]
    public bool ArbitraryText_NeverThrows_AndWhatReadsBackIsWellFormed(string? text)
    {
        if (!RevocationMessage.TryParse(text, out var origin, out var notice))
        {
            return true;
        }

        return origin.Length == 16 && notice.Handles.All(h => SessionIds.IsValid(h)) && RevocationMessage.Format(origin, notice.Scope, notice.Successor, notice.Handles) == text;
    }
}
