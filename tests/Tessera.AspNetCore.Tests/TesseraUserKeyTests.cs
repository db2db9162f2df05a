using System.Security.Claims;
using FsCheck.Xunit;
using Tessera.AspNetCore;

namespace Tessera.AspNetCore.Tests;

public sealed class TesseraUserKeyTests
{
    private static ClaimsPrincipal Principal(string value, string? issuer = null, string type = ClaimTypes.NameIdentifier) =>
        new(new ClaimsIdentity([new Claim(type, value, ClaimValueTypes.String, issuer)], "test"));

    [Fact]
    public void ALocalSubject_IsItsValue()
    {
        Assert.Equal("alice", TesseraUserKey.FromPrincipal(Principal("alice")));
        Assert.Equal("alice", TesseraUserKey.FromPrincipal(Principal("alice", ClaimsIdentity.DefaultIssuer)));
    }

    [Fact]
    public void AnExternalSubject_IsQualifiedByItsIssuer()
    {
        Assert.Equal("https://accounts.google.com|123", TesseraUserKey.FromPrincipal(Principal("123", "https://accounts.google.com")));
        Assert.NotEqual(
            TesseraUserKey.FromPrincipal(Principal("123", "https://accounts.google.com")),
            TesseraUserKey.FromPrincipal(Principal("123", "https://login.microsoftonline.com/t/v2.0")));
    }

    [Fact]
    public void ALocalNameThatSpellsAnExternalKey_IsAnotherKey()
    {
        var external = TesseraUserKey.FromPrincipal(Principal("123", "https://accounts.google.com"));
        var local = TesseraUserKey.FromPrincipal(Principal("https://accounts.google.com|123"));
        Assert.NotEqual(external, local);
        Assert.Equal("https://accounts.google.com%7C123", local);
        // An escape sequence typed as a name is escaped in turn.
        Assert.Equal("https://accounts.google.com%257C123", TesseraUserKey.FromPrincipal(Principal("https://accounts.google.com%7C123")));
    }

    [Fact]
    public void WithoutANameIdentifier_TheNameIsUsed_AndWithNeither_ThereIsNoKey()
    {
        Assert.Equal("bob", TesseraUserKey.FromPrincipal(Principal("bob", type: ClaimTypes.Name)));
        Assert.Null(TesseraUserKey.FromPrincipal(Principal("x", type: ClaimTypes.Email)));
        Assert.Null(TesseraUserKey.FromPrincipal(new ClaimsPrincipal(new ClaimsIdentity())));
    }

    [Fact]
    public void AnUnusableSubject_HasNoKey()
    {
        Assert.Null(TesseraUserKey.FromPrincipal(Principal("evil\u001b]0;x\u0007")));
        Assert.Null(TesseraUserKey.FromPrincipal(Principal(new string('a', 513))));
        Assert.Null(TesseraUserKey.FromPrincipal(Principal(string.Empty)));
    }

    [Property]
    public bool TheKey_IsOneToOne_OverIssuerAndValue(string? issuerA, string valueA, string? issuerB, string valueB)
    {
        if (string.IsNullOrEmpty(valueA) || string.IsNullOrEmpty(valueB) || valueA.Length > 200 || valueB.Length > 200 || valueA.Any(char.IsControl) || valueB.Any(char.IsControl)
            || (issuerA ?? string.Empty).Any(char.IsControl) || (issuerB ?? string.Empty).Any(char.IsControl) || issuerA?.Length > 200 || issuerB?.Length > 200)
        {
            return true;
        }

        var a = TesseraUserKey.FromPrincipal(Principal(valueA, string.IsNullOrEmpty(issuerA) ? null : issuerA));
        var b = TesseraUserKey.FromPrincipal(Principal(valueB, string.IsNullOrEmpty(issuerB) ? null : issuerB));
        var sameIdentity = valueA == valueB && Normal(issuerA) == Normal(issuerB);
        return (a == b) == sameIdentity;

        static string Normal(string? issuer) => string.IsNullOrEmpty(issuer) ? ClaimsIdentity.DefaultIssuer : issuer;
    }
}
