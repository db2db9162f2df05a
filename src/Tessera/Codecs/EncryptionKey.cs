namespace Tessera;

/// <summary>One AES-GCM key of the key ring.</summary>
public sealed class EncryptionKey
{
    /// <summary>The key's id (1..255), stored with every value it encrypts.</summary>
    public byte Id { get; set; }

    /// <summary>The key: 32 random bytes (AES-256) as base64. Keep it in a secret store, never in source.</summary>
    public string Key { get; set; } = string.Empty;
}
