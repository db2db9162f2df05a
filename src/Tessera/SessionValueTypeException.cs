namespace Tessera;

/// <summary>
/// A session value is not of the kind an operation needs (for example <c>IncrementAsync</c> on a value
/// that is not an integer). The application's misuse, not the store's state: nothing was changed.
/// </summary>
public sealed class SessionValueTypeException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SessionValueTypeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public SessionValueTypeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SessionValueTypeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
