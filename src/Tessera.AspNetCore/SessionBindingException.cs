namespace Tessera.AspNetCore;

/// <summary>The request's client does not match the session's binding; ASP.NET Core answers 403.</summary>
public sealed class SessionBindingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SessionBindingException()
        : base("The session is bound to another client.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What did not match.</param>
    public SessionBindingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What did not match.</param>
    /// <param name="innerException">The cause.</param>
    public SessionBindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
