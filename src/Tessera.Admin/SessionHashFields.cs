using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>
/// Reads the field names of a session hash as stored (an <c>HGETALL</c> of <see cref="RedisSessionStore.KeyFor"/>),
/// for tools that show the raw hash: which fields are Tessera's metadata and which the app's values, by the
/// one layout the store writes. Pure.
/// </summary>
public static class SessionHashFields
{
    /// <summary>Whether a field is Tessera's metadata (not one of the app's values).</summary>
    /// <param name="field">The field name as stored.</param>
    /// <returns><see langword="true"/> for metadata.</returns>
    public static bool IsMetadata(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return SessionLayout.ToKey(field) is null;
    }

    /// <summary>The app's key a field stores, or <see langword="null"/> for metadata.</summary>
    /// <param name="field">The field name as stored.</param>
    /// <returns>The key the app used.</returns>
    public static string? KeyOf(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return SessionLayout.ToKey(field);
    }

    /// <summary>What a metadata field holds.</summary>
    /// <param name="field">The field name as stored.</param>
    /// <returns>The metadata it is, <see cref="SessionMetadataField.Unknown"/> for another metadata field, or null for an app value.</returns>
    public static SessionMetadataField? MetadataOf(string field)
    {
        if (!IsMetadata(field))
        {
            return null;
        }

        var slot = Array.IndexOf(SessionLayout.MetadataFields, (StackExchange.Redis.RedisValue)field);
        return slot < 0 ? SessionMetadataField.Unknown : (SessionMetadataField)slot;
    }
}
