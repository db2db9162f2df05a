namespace Tessera.Demo.Model;

/// <summary>The demo's pages: which one a response (or a refused form) shows.</summary>
public enum DemoPage
{
    /// <summary><c>/</c>: the session, the counter, the idle timeout, the raw hash.</summary>
    Home = 0,

    /// <summary><c>/devices</c>: the user's devices, the per-user limit, the step-up action.</summary>
    Devices = 1,

    /// <summary><c>/confirm</c>: the password again, for a step-up.</summary>
    Confirm = 2,

    /// <summary><c>/devices/recovery-codes</c>: the step-up protected page.</summary>
    RecoveryCodes = 3,
}
