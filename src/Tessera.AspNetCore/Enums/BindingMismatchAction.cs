namespace Tessera.AspNetCore;

/// <summary>What a request gets when its client does not match the session's binding.</summary>
public enum BindingMismatchAction
{
    /// <summary>The session is not honoured: the request acts as a new visitor (the session itself stays, for its rightful client).</summary>
    NewSession = 0,

    /// <summary>The request is refused with 403 and problem details.</summary>
    Reject = 1,
}
