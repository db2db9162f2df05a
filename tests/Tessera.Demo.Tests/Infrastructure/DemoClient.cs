using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tessera.Demo.Tests;

/// <summary>A plain HttpClient with a cookie jar, as a browser without JavaScript uses the demo.</summary>
public sealed partial class DemoClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Creates a client on <paramref name="baseAddress"/>.</summary>
    /// <param name="baseAddress">The proxy's URL.</param>
    public DemoClient(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new SocketsHttpHandler
        {
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            UseProxy = false,
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    /// <summary>The password the tests' users sign up with (the first login with a name sets it).</summary>
    public const string Password = "correct horse battery";

    /// <summary>The cookie jar.</summary>
    public CookieContainer Cookies { get; }

    /// <summary>The HTTP client (no redirects followed).</summary>
    public HttpClient Http => _http;

    /// <summary>The antiforgery token of the last page fetched with <see cref="GetPageAsync"/>.</summary>
    public string? Token { get; private set; }

    /// <summary>Gets the page and keeps its antiforgery token.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The response and its body.</returns>
    public async Task<(HttpResponseMessage Response, string Body)> GetPageAsync(string path = "/")
    {
        var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        if (TokenPattern().Match(body) is { Success: true } m)
        {
            Token = WebUtility.HtmlDecode(m.Groups[1].Value);
        }

        return (response, body);
    }

    /// <summary>Posts a form with the page's antiforgery token (fetching the page first when there is none).</summary>
    /// <param name="path">The form's action.</param>
    /// <param name="fields">The fields.</param>
    /// <returns>The response and its body.</returns>
    public async Task<(HttpResponseMessage Response, string Body)> PostFormAsync(string path, params (string Name, string Value)[] fields)
    {
        if (Token is null)
        {
            await GetPageAsync();
        }

        var all = fields.Select(static f => new KeyValuePair<string, string>(f.Name, f.Value))
            .Append(new KeyValuePair<string, string>("__antiforgery", Token!));
        return await PostAsync(path, new FormUrlEncodedContent(all));
    }

    /// <summary>Posts any content, as is.</summary>
    /// <param name="path">The path.</param>
    /// <param name="content">The body.</param>
    /// <returns>The response and its body.</returns>
    public async Task<(HttpResponseMessage Response, string Body)> PostAsync(string path, HttpContent content)
    {
        var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        if (TokenPattern().Match(body) is { Success: true } m)
        {
            Token = WebUtility.HtmlDecode(m.Groups[1].Value);
        }

        return (response, body);
    }

    /// <summary>Reads /api/session.</summary>
    /// <returns>The JSON.</returns>
    public async Task<JsonElement> SessionAsync()
    {
        using var response = await _http.GetAsync(new Uri("/api/session", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    /// <summary>Logs in (following the redirect to the page).</summary>
    /// <param name="user">The username.</param>
    /// <param name="password">The password.</param>
    /// <returns>The page after login.</returns>
    public async Task<string> LoginAsync(string user, string password = Password)
    {
        var (response, _) = await PostFormAsync("/login", ("username", user), ("password", password));
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"The login answered {(int)response.StatusCode}, not 303. The demo logged:\n{DemoFixture.Log.Recent()}");
        var (page, body) = await GetPageAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return body;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__antiforgery\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
