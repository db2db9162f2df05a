namespace Tessera;

/// <summary>
/// Redis could not be reached within the operation timeout, or is not serving. ASP.NET Core turns
/// this into a 503. It is an <see cref="OperationCanceledException"/>, as the stock session's timeouts
/// are, so an application's <c>catch (OperationCanceledException)</c> written for <c>AddSession()</c>
/// still catches it.
/// </summary>
public sealed class TesseraUnavailableException : OperationCanceledException
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
