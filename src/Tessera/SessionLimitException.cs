namespace Tessera;

/// <summary>
/// A sign-in was refused: its user already has <see cref="TesseraOptions.MaxSessionsPerUser"/> devices
/// and the policy is <see cref="SessionLimitPolicy.DenyNew"/>. Nothing was bound or kept: catch it
/// around the sign-in and tell the user to log out another device (for example from its devices page).
/// </summary>
public sealed class SessionLimitException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SessionLimitException()
        : this(0)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SessionLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SessionLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a limit.</summary>
    /// <param name="limit">The limit that was reached.</param>
    public SessionLimitException(int limit)
        : base($"The user already has the most devices allowed ({limit}, TesseraOptions.MaxSessionsPerUser): log out another device first.")
    {
        Limit = limit;
    }

    /// <summary>The limit that was reached.</summary>
    public int Limit { get; }
}
