namespace Tessera;

/// <summary>Which size limit refused a write (<see cref="CommitStatus.TooLarge"/>): bytes or values.</summary>
public enum SessionSizeLimit
{
    /// <summary>No limit refused the write.</summary>
    None = 0,

    /// <summary><see cref="TesseraOptions.MaxSessionBytes"/>: the session would have taken too many bytes.</summary>
    Bytes = 1,

    /// <summary><see cref="TesseraOptions.MaxSessionFields"/>: the session would have held too many values.</summary>
    Fields = 2,
}
