namespace Tessera;

/// <summary>
/// Encryption at rest of session values with AES-GCM and a key ring. The active key encrypts;
/// every key in the ring decrypts, so rotating a key logs nobody out. Values are re-encrypted with
/// the active key as they are written, and on the first read of a session after a rotation.
/// The session id and field name are bound as associated data: a value cannot be moved to another
/// session or field.
/// </summary>
public sealed class EncryptionOptions
{
    /// <summary>The key ring. Empty: no encryption.</summary>
    public IList<EncryptionKey> Keys { get; } = [];

    /// <summary>The id of the key that encrypts new values.</summary>
    public byte ActiveKeyId { get; set; }

    /// <summary>Whether encryption is on.</summary>
    public bool Enabled => Keys.Count > 0;

    /// <summary>Adds a key to the ring.</summary>
    /// <param name="id">The key id (1..255).</param>
    /// <param name="key">32 bytes as base64.</param>
    /// <param name="active">Whether it encrypts new values.</param>
    /// <returns>These options, for chaining.</returns>
    public EncryptionOptions AddKey(byte id, string key, bool active = false)
    {
        Keys.Add(new EncryptionKey { Id = id, Key = key });
        if (active)
        {
            ActiveKeyId = id;
        }

        return this;
    }

    /// <summary>Creates a new random key, as base64, for <see cref="AddKey"/>.</summary>
    /// <returns>32 random bytes as base64.</returns>
    public static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}
