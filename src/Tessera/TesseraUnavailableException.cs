namespace Tessera;

/// <summary>
/// Redis could not be reached within the operation timeout. ASP.NET Core turns this into a 503.
/// </summary>
public sealed class TesseraUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TesseraUnavailableException()
        : base("The session store is unavailable.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public TesseraUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The Redis error or timeout.</param>
    public TesseraUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
