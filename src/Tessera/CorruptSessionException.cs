namespace Tessera;

/// <summary>Stored data could not be read as a session value (foreign, truncated or tampered).</summary>
public sealed class CorruptSessionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CorruptSessionException()
        : base("The stored session data is corrupt.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public CorruptSessionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public CorruptSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
