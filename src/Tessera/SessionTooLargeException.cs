namespace Tessera;

/// <summary>
/// A commit would make the session larger than <see cref="TesseraOptions.MaxSessionBytes"/> or leave it more
/// values than <see cref="TesseraOptions.MaxSessionFields"/> (the message names which); nothing was written.
/// </summary>
public sealed class SessionTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionTooLargeException()
        : base("The session is too large.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public SessionTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public SessionTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a size and a limit.</summary>
    /// <param name="size">The size the session would have had.</param>
    /// <param name="limit">The configured limit.</param>
    public SessionTooLargeException(long size, long limit)
        : base($"The session would take {size} bytes, over the limit of {limit} (TesseraOptions.MaxSessionBytes); nothing was written.")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The size the session would have had, in bytes.</summary>
    public long Size { get; }

    /// <summary>The configured limit, in bytes.</summary>
    public long Limit { get; }
}
