namespace Tessera.Identity.Tests;

/// <summary>How the app is tied to Tessera.</summary>
public enum Wiring
{
    /// <summary><c>AddTessera()</c> and <c>AddTesseraTicketStore()</c>, as the README said before Identity had a page.</summary>
    TicketStore,

    /// <summary><c>AddTessera()</c> and <c>.AddTesseraIdentity()</c> on the Identity builder (docs/identity.md).</summary>
    Identity,
}
