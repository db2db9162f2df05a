using FsCheck.Xunit;
using Tessera.Internal;

namespace Tessera.Tests.Internal;

public sealed class SessionLayoutTests
{
    [Theory]
    [InlineData("name", "name")]
    [InlineData("#c", "##c")]
    [InlineData("##x", "###x")]
    [InlineData("", "")]
    public void ToField_EscapesKeysThatStartWithTheMarker(string key, string field) => Assert.Equal(field, SessionLayout.ToField(key));

    [Theory]
    [InlineData("#c")]
    [InlineData("#a")]
    [InlineData("#r")]
    [InlineData("#")]
    public void ToKey_OfMetadata_IsNull(string field) => Assert.Null(SessionLayout.ToKey(field));

    [Property(MaxTest = 1000)]
    public bool EveryCallerKey_RoundTrips_AndNeverLandsOnMetadata(string? key)
    {
        key ??= string.Empty;
        var field = SessionLayout.ToField(key);
        return SessionLayout.ToKey(field) == key && field is not (SessionLayout.Created or SessionLayout.LastAccess or SessionLayout.IdleMs or SessionLayout.Deadline or SessionLayout.Size or SessionLayout.User or SessionLayout.RotatedTo);
    }
}
