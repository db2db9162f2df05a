namespace Tessera.Admin;

/// <summary>One caller value of a session, as <c>show</c> displays it.</summary>
/// <param name="Key">The caller's key.</param>
/// <param name="StoredBytes">Bytes stored in Redis (header included).</param>
/// <param name="Kind">How it is stored.</param>
/// <param name="Header">The first stored byte.</param>
/// <param name="Value">The caller's bytes, when they could be decoded (plain, counter, or encoded with a codec that knows it); otherwise <see langword="null"/>.</param>
public sealed record SessionField(string Key, int StoredBytes, StoredValueKind Kind, byte Header, ReadOnlyMemory<byte>? Value)
{
    /// <summary>
    /// When a value with its own lifetime expires (<see cref="ValueCodec.ExpiresAt"/>), else <see langword="null"/>.
    /// For an encrypted value that was not decoded, it is what the bytes say, not authenticated.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
