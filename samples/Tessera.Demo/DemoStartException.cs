namespace Tessera.Demo;

/// <summary>The demo cannot start; the message says why and what to do.</summary>
public sealed class DemoStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DemoStartException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, and what to do.</param>
    public DemoStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public DemoStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
