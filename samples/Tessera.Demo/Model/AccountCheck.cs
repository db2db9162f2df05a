namespace Tessera.Demo.Model;

/// <summary>What a password check in the demo's stand-in account store found.</summary>
public enum AccountCheck
{
    /// <summary>The name was new: it is registered with this password now.</summary>
    Registered = 0,

    /// <summary>The password is the name's.</summary>
    Verified = 1,

    /// <summary>The name has another password.</summary>
    WrongPassword = 2,
}
