using FsCheck.Xunit;
using Tessera.Internal;

namespace Tessera.Tests.Internal;

public sealed class FieldNamesTests
{
    [Theory]
    [InlineData("name", "name")]
    [InlineData("#c", "##c")]
    [InlineData("##x", "###x")]
    [InlineData("", "")]
    public void ToField_EscapesKeysThatStartWithTheMarker(string key, string field) => Assert.Equal(field, FieldNames.ToField(key));

    [Theory]
    [InlineData("#c")]
    [InlineData("#a")]
    [InlineData("#r")]
    [InlineData("#")]
    public void ToKey_OfMetadata_IsNull(string field) => Assert.Null(FieldNames.ToKey(field));

    [Property(MaxTest = 1000)]
    public bool EveryCallerKey_RoundTrips_AndNeverLandsOnMetadata(string? key)
    {
        key ??= string.Empty;
        var field = FieldNames.ToField(key);
        return FieldNames.ToKey(field) == key && field is not (FieldNames.Created or FieldNames.LastAccess or FieldNames.IdleMs or FieldNames.Deadline or FieldNames.Size or FieldNames.User or FieldNames.RotatedTo);
    }
}
