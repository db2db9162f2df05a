namespace Tessera.Redis;

/// <summary>A RESP error reply read by <see cref="InvalidationConnection"/>.</summary>
/// <param name="Message">The server's text.</param>
internal sealed record RespError(string Message);
