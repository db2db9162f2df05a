using Tessera.Admin;

namespace Tessera.Dashboard.Tests;

public sealed class SessionHashFieldsTests
{
    [Theory]
    [InlineData("#c", SessionMetadataField.Created)]
    [InlineData("#a", SessionMetadataField.LastAccess)]
    [InlineData("#i", SessionMetadataField.IdleMs)]
    [InlineData("#d", SessionMetadataField.Deadline)]
    [InlineData("#s", SessionMetadataField.Size)]
    [InlineData("#u", SessionMetadataField.User)]
    [InlineData("#ip", SessionMetadataField.ClientIp)]
    [InlineData("#ua", SessionMetadataField.UserAgent)]
    [InlineData("#r", SessionMetadataField.RotatedTo)]
    [InlineData("#au", SessionMetadataField.AuthenticatedAt)]
    [InlineData("#ii", SessionMetadataField.IdIssued)]
    [InlineData("#ln", SessionMetadataField.Login)]
    [InlineData("#lip", SessionMetadataField.LastClientIp)]
    [InlineData("#lua", SessionMetadataField.LastUserAgent)]
    [InlineData("#n", SessionMetadataField.DeviceName)]
    [InlineData("#m", SessionMetadataField.SignInMethod)]
    [InlineData("#zz", SessionMetadataField.Unknown)]
    public void MetadataOf_AMetadataField_NamesWhatItHolds(string field, SessionMetadataField expected)
    {
        Assert.True(SessionHashFields.IsMetadata(field));
        Assert.Null(SessionHashFields.KeyOf(field));
        Assert.Equal(expected, SessionHashFields.MetadataOf(field));
    }

    [Theory]
    [InlineData("cart", "cart")]
    [InlineData("##secret", "#secret")]
    public void MetadataOf_AnAppField_IsNullAndKeyOfIsTheAppsKey(string field, string key)
    {
        Assert.False(SessionHashFields.IsMetadata(field));
        Assert.Null(SessionHashFields.MetadataOf(field));
        Assert.Equal(key, SessionHashFields.KeyOf(field));
    }
}
