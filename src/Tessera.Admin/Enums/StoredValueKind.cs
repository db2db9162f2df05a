namespace Tessera.Admin;

/// <summary>How a caller value is stored.</summary>
public enum StoredValueKind
{
    /// <summary>Header byte 0: the caller's bytes follow as they are.</summary>
    Plain,

    /// <summary>Decimal text written by the atomic counter API.</summary>
    Counter,

    /// <summary>Another header: compressed or encrypted; shown only when a codec that can decode it is given.</summary>
    Encoded,

    /// <summary>A value past its own lifetime (<see cref="ValueCodec.ExpiresFlag"/>): never shown; the next load of the session removes it.</summary>
    Expired,
}
