namespace Tessera.Demo.Model;

/// <summary>The session exactly as Redis holds it: key, time to live, every hash field.</summary>
/// <param name="Key">The key, with the identifier shortened.</param>
/// <param name="TtlMs">PTTL: milliseconds until Redis deletes it; -1 for no TTL, -2 when the key is gone.</param>
/// <param name="Fields">The hash fields, the app's first.</param>
public sealed record StoredSession(string Key, long TtlMs, IReadOnlyList<StoredField> Fields)
{
    /// <summary>Bytes of field names and values together.</summary>
    public long TotalBytes => Fields.Sum(static f => (long)f.Bytes + System.Text.Encoding.UTF8.GetByteCount(f.Field));
}
