using System.Net;
using System.Text.RegularExpressions;

namespace Tessera.Identity.Tests;

/// <summary>
/// A browser as curl plays one: keeps cookies, does not follow redirects, and posts forms with the
/// antiforgery token of the page it read them from.
/// </summary>
public sealed partial class Browser : IDisposable
{
    private readonly HttpClient _client;

    /// <summary>Creates a browser over a handler (TestServer's).</summary>
    /// <param name="inner">The handler.</param>
    /// <param name="baseAddress">https, so Secure and __Host- cookies flow.</param>
    /// <param name="cookies">Cookies to start with (a copied jar), or null.</param>
    public Browser(HttpMessageHandler inner, Uri baseAddress, CookieContainer? cookies = null)
    {
        Cookies = cookies ?? new CookieContainer();
        _client = new HttpClient(new CookieHandler(Cookies) { InnerHandler = inner }) { BaseAddress = baseAddress };
    }

    /// <summary>The cookie jar.</summary>
    public CookieContainer Cookies { get; }

    /// <summary>A cookie's value, or null.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The value.</returns>
    public string? Cookie(string name) => Cookies.GetCookies(_client.BaseAddress!)[name]?.Value;

    /// <summary>A copy of the cookie jar (what a thief who copied the cookies holds).</summary>
    /// <returns>The copy.</returns>
    public CookieContainer CopyCookies()
    {
        var copy = new CookieContainer();
        foreach (Cookie cookie in Cookies.GetAllCookies())
        {
            copy.Add(new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain) { Secure = cookie.Secure, HttpOnly = cookie.HttpOnly });
        }

        return copy;
    }

    /// <summary>GET a page.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The response (not followed when a redirect).</returns>
    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>GET a page and read it.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status, body and where a redirect points.</returns>
    public async Task<Page> PageAsync(string path)
    {
        using var response = await GetAsync(path);
        return new Page(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    /// <summary>POST without a body (minimal API endpoints).</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status, body and where a redirect points.</returns>
    public async Task<Page> PostAsync(string path)
    {
        using var response = await _client.PostAsync(new Uri(path, UriKind.Relative), null);
        return new Page(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    /// <summary>Reads a page's form and posts it with the given fields and the page's antiforgery token.</summary>
    /// <param name="pagePath">The page that holds the form (read first, as a browser would).</param>
    /// <param name="fields">The fields to fill in.</param>
    /// <param name="postPath">Where the form posts, when not the page itself (a handler: <c>?handler=...</c>).</param>
    /// <returns>Status, body and where a redirect points.</returns>
    public async Task<Page> SubmitAsync(string pagePath, IReadOnlyDictionary<string, string> fields, string? postPath = null)
    {
        var page = await PageAsync(pagePath);
        Assert.True(page.Status == HttpStatusCode.OK, $"GET {pagePath}: {(int)page.Status} {page.Location}");
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = page.AntiforgeryToken() };
        using var content = new FormUrlEncodedContent(form);
        using var response = await _client.PostAsync(new Uri(postPath ?? pagePath, UriKind.Relative), content);
        return new Page(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

    /// <summary>A response as read.</summary>
    /// <param name="Status">The status.</param>
    /// <param name="Body">The body.</param>
    /// <param name="Location">Where a redirect points, or null.</param>
    public sealed partial record Page(HttpStatusCode Status, string Body, string? Location)
    {
        /// <summary>The page's antiforgery token.</summary>
        /// <returns>The token.</returns>
        public string AntiforgeryToken()
        {
            var match = TokenPattern().Match(Body);
            Assert.True(match.Success, "The page has no antiforgery token: " + Body[..Math.Min(Body.Length, 400)]);
            return WebUtility.HtmlDecode(match.Groups[1].Value);
        }

        [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"")]
        private static partial Regex TokenPattern();
    }

    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var header = cookies.GetCookieHeader(request.RequestUri!);
            if (header.Length > 0)
            {
                request.Headers.Remove("Cookie");
                request.Headers.Add("Cookie", header);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var setCookie in setCookies)
                {
                    cookies.SetCookies(request.RequestUri!, setCookie);
                }
            }

            return response;
        }
    }
}
