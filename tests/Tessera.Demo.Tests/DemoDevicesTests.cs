using System.Net;
using System.Text.Json;

namespace Tessera.Demo.Tests;

/// <summary>
/// The devices page, the per-user limit and the step-up, with plain HTTP clients (each its own
/// browser): what a person gets, and what an attacker posting forms by hand does not get.
/// </summary>
public sealed class DemoDevicesTests(DemoFixture demo)
{
    [Fact]
    public async Task Limit_FourthDevice_IsRefusedWithAMessage_NotA500_UntilOneIsRevoked()
    {
        var user = Unique("max");
        var clients = Enumerable.Range(0, 4).Select(_ => demo.CreateClient()).ToList();
        try
        {
            for (var n = 0; n < 3; n++)
            {
                await clients[n].LoginAsync(user);
            }

            var fourth = clients[3];
            await fourth.PostFormAsync("/count"); // an anonymous session with a value, that the refusal must leave alone
            var (response, body) = await fourth.PostFormAsync("/login", ("username", user), ("password", DemoClient.Password));
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains($"{user} is already signed in on 3 devices, the most this demo allows (MaxSessionsPerUser = 3, policy DenyNew)", body, StringComparison.Ordinal);
            Assert.Contains("id=\"login-error\"", body, StringComparison.Ordinal);
            var session = (await fourth.SessionAsync()).GetProperty("session");
            Assert.Equal(JsonValueKind.Null, session.GetProperty("user").ValueKind);
            Assert.Equal(1, session.GetProperty("counter").GetInt64());

            // The devices page says so too.
            var (_, devices) = await clients[0].GetPageAsync("/devices");
            Assert.Contains("id=\"limit-policy\">DenyNew<", devices, StringComparison.Ordinal);
            Assert.Contains("You are at the limit now.", devices, StringComparison.Ordinal);

            // A device logged out makes room.
            var other = (await clients[0].SessionAsync()).GetProperty("session").GetProperty("devices").EnumerateArray()
                .First(static d => !d.GetProperty("current").GetBoolean()).GetProperty("handle").GetString()!;
            (response, _) = await clients[0].PostFormAsync("/devices/revoke", ("handle", other));
            Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
            await fourth.LoginAsync(user);
            Assert.Equal(user, (await fourth.SessionAsync()).GetProperty("session").GetProperty("user").GetString());
        }
        finally
        {
            clients.ForEach(static c => c.Dispose());
        }
    }

    [Fact]
    public async Task Revoke_AnotherUsersHandle_Is404_AndTheirDeviceStaysSignedIn()
    {
        using var victim = demo.CreateClient();
        using var attacker = demo.CreateClient();
        await victim.LoginAsync(Unique("vic"));
        await attacker.LoginAsync(Unique("mal"));
        var handle = (await victim.SessionAsync()).GetProperty("session").GetProperty("devices")[0].GetProperty("handle").GetString()!;

        // Handles are no secret: knowing one must not be enough to log its device out.
        var (response, body) = await attacker.PostFormAsync("/devices/revoke", ("handle", handle));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("That is not one of your devices", body, StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, (await victim.SessionAsync()).GetProperty("session").ValueKind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-handle")]
    [InlineData("<script>alert(1)</script>")]
    public async Task Revoke_BadHandle_400WithTheDevicesPage(string handle)
    {
        using var client = demo.CreateClient();
        await client.LoginAsync(Unique("bad"));

        var (response, body) = await client.PostFormAsync("/devices/revoke", ("handle", handle));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("id=\"revoke-error\"", body, StringComparison.Ordinal);
        Assert.Contains("id=\"devices\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_WithoutAntiforgeryToken_400AndNothingRevoked()
    {
        using var client = demo.CreateClient();
        await client.LoginAsync(Unique("csrf"));
        var handle = (await client.SessionAsync()).GetProperty("session").GetProperty("devices")[0].GetProperty("handle").GetString()!;

        var (response, body) = await client.PostAsync("/devices/revoke", new FormUrlEncodedContent([new("handle", handle)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This form is out of date", body, StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, (await client.SessionAsync()).GetProperty("session").ValueKind);
    }

    [Fact]
    public async Task DevicesPage_NotLoggedIn_SendsToLogIn()
    {
        using var client = demo.CreateClient();

        var (response, _) = await client.GetPageAsync("/devices");

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/?m=login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task StepUp_OpensRightAfterSignIn_RedirectsOnceTooOld_WrongPasswordStays_RightPasswordGoesBack()
    {
        using var client = demo.CreateClient();
        var user = Unique("ste");
        var beforeSignIn = DateTimeOffset.UtcNow;
        await client.LoginAsync(user);

        var (response, body) = await client.GetPageAsync(Codes);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"recovery-codes\"", body, StringComparison.Ordinal);

        response = await WaitUntilRedirectedAsync(client, beforeSignIn);
        Assert.Equal("/confirm?returnUrl=%2Fdevices%2Frecovery-codes", response.Headers.Location!.OriginalString);
        Assert.Equal("authentication-too-old", response.Headers.GetValues("Tessera-Step-Up").Single());

        (response, body) = await client.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("name=\"returnUrl\" value=\"/devices/recovery-codes\"", body, StringComparison.Ordinal);

        (response, body) = await client.PostFormAsync("/confirm", ("password", "guess"), ("returnUrl", Codes));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("That is not the password of " + user, body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, (await client.GetPageAsync(Codes)).Response.StatusCode);

        var idBefore = (await client.SessionAsync()).GetProperty("session").GetProperty("id").GetString();
        (response, _) = await client.PostFormAsync("/confirm", ("password", DemoClient.Password), ("returnUrl", Codes));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(Codes, response.Headers.Location!.OriginalString);
        (response, body) = await client.GetPageAsync(Codes);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Password confirmed", body, StringComparison.Ordinal);
        Assert.NotEqual(idBefore, (await client.SessionAsync()).GetProperty("session").GetProperty("id").GetString()); // a sign-in again: a new id
    }

    [Theory]
    [InlineData("//evil.example/steal")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task StepUp_Confirm_ReturnUrlElsewhere_GoesToTheDevicesPageInstead(string returnUrl)
    {
        using var client = demo.CreateClient();
        await client.LoginAsync(Unique("red"));

        var (response, _) = await client.PostFormAsync("/confirm", ("password", DemoClient.Password), ("returnUrl", returnUrl));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/devices", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task StepUp_AtTheDeviceLimit_ConfirmingIsNotANewDevice()
    {
        var user = Unique("full");
        var clients = Enumerable.Range(0, 3).Select(_ => demo.CreateClient()).ToList();
        try
        {
            foreach (var client in clients)
            {
                await client.LoginAsync(user);
            }

            var (response, _) = await clients[0].PostFormAsync("/confirm", ("password", DemoClient.Password), ("returnUrl", Codes));

            Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
            Assert.Equal(3, (await clients[0].SessionAsync()).GetProperty("session").GetProperty("devices").GetArrayLength());
        }
        finally
        {
            clients.ForEach(static c => c.Dispose());
        }
    }

    [Fact]
    public async Task StepUp_NotLoggedIn_IsChallengedThenSentToLogIn()
    {
        using var client = demo.CreateClient();

        var (response, _) = await client.GetPageAsync(Codes);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("not-authenticated", response.Headers.GetValues("Tessera-Step-Up").Single());

        (response, _) = await client.GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/?m=login", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Login_WrongPasswordForAKnownName_IsRefused_NoSession()
    {
        var user = Unique("pw");
        using (var owner = demo.CreateClient())
        {
            await owner.LoginAsync(user);
        }

        using var client = demo.CreateClient();
        var (response, body) = await client.PostFormAsync("/login", ("username", user), ("password", "guess"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("That is not the password of " + user, body, StringComparison.Ordinal);
        Assert.DoesNotContain("guess", body, StringComparison.Ordinal); // a password is never shown back
        Assert.Equal(JsonValueKind.Null, (await client.SessionAsync()).GetProperty("session").ValueKind);

        (response, body) = await client.PostFormAsync("/login", ("username", user), ("password", string.Empty));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Enter your password.", body, StringComparison.Ordinal);
    }

    private const string Codes = "/devices/recovery-codes";

    /// <summary>
    /// Asks for the step-up page until the sign-in is too old for it (a bounded wait on the condition).
    /// <paramref name="beforeSignIn"/> is taken before the login, so the sign-in is at least as old as
    /// the time since: a redirect sooner than the step-up age after it would be a redirect too early.
    /// </summary>
    private static async Task<HttpResponseMessage> WaitUntilRedirectedAsync(DemoClient client, DateTimeOffset beforeSignIn)
    {
        var signedIn = beforeSignIn;
        var limit = signedIn + DemoFixture.StepUpMaxAge + TimeSpan.FromSeconds(20);
        while (true)
        {
            var (response, _) = await client.GetPageAsync(Codes);
            if (response.StatusCode == HttpStatusCode.Found)
            {
                Assert.True(DateTimeOffset.UtcNow - signedIn >= DemoFixture.StepUpMaxAge - TimeSpan.FromMilliseconds(100), $"Redirected {DateTimeOffset.UtcNow - signedIn} after signing in: before the sign-in was old enough.");
                return response;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(DateTimeOffset.UtcNow < limit, $"Still open {DateTimeOffset.UtcNow - signedIn} after signing in.");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task NameThisDevice_ShowsTheNameLabelAndMethod_EncodesAHostileName_AndRefusesAnotherUsersDevice()
    {
        using var laptop = demo.CreateClient();
        laptop.Http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0");
        using var attacker = demo.CreateClient();
        await laptop.LoginAsync(Unique("nam"));
        await attacker.LoginAsync(Unique("mal"));
        var handle = (await laptop.SessionAsync()).GetProperty("session").GetProperty("devices")[0].GetProperty("handle").GetString()!;

        var (response, _) = await laptop.PostFormAsync("/devices/name", ("handle", handle), ("name", "<b>Work</b> laptop\u001b[2J"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var (_, page) = await laptop.GetPageAsync("/devices");
        Assert.Contains("<strong data-label>Firefox on Windows</strong>", page, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;Work&lt;/b&gt; laptop[2J", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>Work", page, StringComparison.Ordinal);
        Assert.Contains("signed in with password", page, StringComparison.Ordinal);

        (response, var body) = await attacker.PostFormAsync("/devices/name", ("handle", handle), ("name", "pwned"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("That is not one of your devices", body, StringComparison.Ordinal);
        Assert.DoesNotContain("pwned", (await laptop.GetPageAsync("/devices")).Body, StringComparison.Ordinal);
    }

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
}
