using System.Net;
using System.Text;
using System.Text.Json;

namespace Tessera.Demo.Tests;

/// <summary>
/// Every form with bad input, through the proxy with a plain HttpClient (no JavaScript): a clear
/// message on the page with the form shown again, a 4xx, never a 500, and nothing echoed unencoded.
/// </summary>
public sealed class DemoFormTests(DemoFixture demo)
{
    public static TheoryData<string, string> BadUsernames => new()
    {
        { string.Empty, "Enter a username." },
        { "   ", "Enter a username." },
        { new string('a', 10 * 1024), "at most 32 characters; this one has 10,240" },
        { "<script>alert(1)</script>", "may contain only letters, digits" },
        { "\"><img src=x onerror=alert(1)>", "may contain only letters, digits" },
        { "ada lovelace", "may contain only letters, digits" },
        { "ada\u0000", "The form could not be read (The form value contains invalid characters)" },
        { "Robert'); DROP TABLE users;--", "may contain only letters, digits" },
        { "😀", "may contain only letters, digits" },
    };

    public static TheoryData<string, string> BadTimeouts => new()
    {
        { string.Empty, "Enter the idle timeout in seconds." },
        { "-5", "at least 5 seconds" },
        { "0", "at least 5 seconds" },
        { "4", "at least 5 seconds" },
        { "86401", "at most 86,400 seconds" },
        { "99999999999999999999999", "at most 86,400 seconds" },
        { new string('9', 10 * 1024), "at most 86,400 seconds" },
        { "abc", "whole number of seconds" },
        { "15.5", "whole number of seconds" },
        { "1e3", "whole number of seconds" },
        { "<b>15</b>", "whole number of seconds" },
    };

    [Theory]
    [MemberData(nameof(BadUsernames))]
    public async Task Login_BadUsername_400WithMessageAndFormAgain(string username, string message)
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.PostFormAsync("/login", ("username", username));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"login-error\"", body, StringComparison.Ordinal);
        Assert.Contains(message, body, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\" action=\"/login\"", body, StringComparison.Ordinal);
        AssertNoRawMarkup(body);
        Assert.Equal(JsonValueKind.Null, (await client.SessionAsync()).GetProperty("session").ValueKind);
    }

    [Theory]
    [MemberData(nameof(BadTimeouts))]
    public async Task SetTtl_BadValue_400WithMessage(string idle, string message)
    {
        using var client = demo.CreateClient();
        await client.LoginAsync("ttl-" + Guid.NewGuid().ToString("N")[..6]);
        var (response, body) = await client.PostFormAsync("/ttl", ("idle", idle));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("id=\"ttl-error\"", body, StringComparison.Ordinal);
        Assert.Contains(message, body, StringComparison.Ordinal);
        AssertNoRawMarkup(body);

        // The session kept its timeout.
        var session = (await client.SessionAsync()).GetProperty("session");
        Assert.Equal(1200, session.GetProperty("idleTimeoutSeconds").GetDouble());
    }

    [Fact]
    public async Task SetTtl_Valid_ChangesThePttlInRedis()
    {
        using var client = demo.CreateClient();
        await client.LoginAsync("ttl-" + Guid.NewGuid().ToString("N")[..6]);
        var (response, _) = await client.PostFormAsync("/ttl", ("idle", " 42 "));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var session = (await client.SessionAsync()).GetProperty("session");
        Assert.Equal(42, session.GetProperty("idleTimeoutSeconds").GetDouble());
        Assert.InRange(session.GetProperty("ttlMs").GetInt64(), 30_000, 42_000);

        (response, _) = await client.PostFormAsync("/ttl", ("idle", "ignored"), ("preset", "60"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(60, (await client.SessionAsync()).GetProperty("session").GetProperty("idleTimeoutSeconds").GetDouble());
    }

    [Fact]
    public async Task SetTtl_WithoutSession_400SaysSo()
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.PostFormAsync("/ttl", ("idle", "15"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("There is no session to change", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogoutOthers_WithoutLogin_400SaysSo()
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.PostFormAsync("/logout-others");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("You are not logged in", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_AsAnotherUserWhileLoggedIn_409SaysLogOutFirst()
    {
        using var client = demo.CreateClient();
        var first = "amy-" + Guid.NewGuid().ToString("N")[..6];
        await client.LoginAsync(first);
        var (response, body) = await client.PostFormAsync("/login", ("username", "bob"), ("password", DemoClient.Password));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"You are logged in as {first}. Log out first", body, StringComparison.Ordinal);
        Assert.Equal(first, (await client.SessionAsync()).GetProperty("session").GetProperty("user").GetString());
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/count")]
    [InlineData("/ttl")]
    [InlineData("/logout")]
    [InlineData("/logout-others")]
    public async Task Post_WithoutAntiforgeryToken_400SaysReload(string path)
    {
        using var client = demo.CreateClient();
        await client.GetPageAsync();
        var (response, body) = await client.PostAsync(path, new FormUrlEncodedContent([new("username", "mallory"), new("idle", "15")]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This form is out of date or did not come from this page", body, StringComparison.Ordinal);

        // A token from another visitor (another antiforgery cookie) is refused too.
        using var other = demo.CreateClient();
        await other.GetPageAsync();
        (response, body) = await client.PostAsync(path, new FormUrlEncodedContent([new("username", "mallory"), new("__antiforgery", other.Token!)]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This form is out of date", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_NotAForm_400SaysSendTheForm()
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.PostAsync("/login", new StringContent("{\"username\":\"ada\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("a form post (application/x-www-form-urlencoded) was expected", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_TooManyFields_400SaysTooLarge()
    {
        using var client = demo.CreateClient();
        var fields = Enumerable.Range(0, 100).Select(static i => ("f" + i, "x")).ToArray();
        var (response, body) = await client.PostFormAsync("/login", fields);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The form could not be read (Form value count limit 32 exceeded)", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_BodyOver256KiB_413SaysTooLarge()
    {
        using var client = demo.CreateClient();
        var (response, body) = await client.PostFormAsync("/login", ("username", new string('a', 300 * 1024)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("This demo takes requests of at most 256 KiB", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counter_WithoutJavaScript_IncrementsAcrossInstances()
    {
        using var client = demo.CreateClient();
        var doneBy = new HashSet<string>(StringComparer.Ordinal);
        for (var expected = 1; expected <= 6; expected++)
        {
            var (response, _) = await client.PostFormAsync("/count");
            Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
            doneBy.Add(response.Headers.GetValues("X-Tessera-Instance").Single());
            var session = (await client.SessionAsync()).GetProperty("session");
            Assert.Equal(expected, session.GetProperty("counter").GetInt64());
        }

        Assert.True(doneBy.Count >= 2, $"All increments were done by {string.Join(", ", doneBy)}.");
    }

    [Fact]
    public async Task OneTimeCode_WorksOnce_ThenIsRefused_AndTheRawViewShowsItsLifetime()
    {
        using var client = demo.CreateClient();
        var (created, _) = await client.PostFormAsync("/code");
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var (_, page) = await client.GetPageAsync();
        var code = System.Text.RegularExpressions.Regex.Match(page, "one-time code is ([0-9]{6})").Groups[1].Value;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Contains("app value with a lifetime", page, StringComparison.Ordinal);

        var (used, _) = await client.PostFormAsync("/code/use", ("code", code));
        Assert.Equal(HttpStatusCode.SeeOther, used.StatusCode);
        Assert.Contains("Code accepted", (await client.GetPageAsync()).Body, StringComparison.Ordinal);

        var (again, body) = await client.PostFormAsync("/code/use", ("code", code));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("No code to use", body, StringComparison.Ordinal);
        Assert.Contains("id=\"code-use-error\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_SecurityHeaders_AndUserAgentIsEncoded()
    {
        using var client = demo.CreateClient();
        client.Http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "<script>alert('ua')</script>");
        var body = await client.LoginAsync("ua-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.DoesNotContain("<script>alert('ua')", body, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(", body, StringComparison.Ordinal);
        var (response, _) = await client.GetPageAsync();
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task ApiTtl_GarbageCookie_SaysNoSession()
    {
        using var client = demo.CreateClient();
        client.Cookies.Add(demo.Url, new Cookie(".Tessera", "not-a-session-id"));
        using var response = await client.Http.GetAsync(new Uri("/api/ttl", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(json.RootElement.GetProperty("exists").GetBoolean());
        var (page, body) = await client.GetPageAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("Your session has ended", body, StringComparison.Ordinal);
        Assert.Contains("id=\"no-session\"", body, StringComparison.Ordinal);
    }

    private static void AssertNoRawMarkup(string body)
    {
        Assert.DoesNotContain("<script>alert", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>15</b>", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\0", body, StringComparison.Ordinal);
    }
}
