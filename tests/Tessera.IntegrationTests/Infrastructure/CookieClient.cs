using System.Net;

namespace Tessera.IntegrationTests;

/// <summary>An HTTP client that keeps cookies like a browser does (for one test server).</summary>
public sealed class CookieClient : IDisposable
{
    private readonly HttpClient _client;

    /// <summary>Creates a client over a handler (for example TestServer's).</summary>
    /// <param name="inner">The handler that reaches the server.</param>
    /// <param name="baseAddress">The base address; https makes Secure cookies flow.</param>
    public CookieClient(HttpMessageHandler inner, Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _client = new HttpClient(new CookieHandler(Cookies) { InnerHandler = inner }) { BaseAddress = baseAddress };
    }

    /// <summary>The cookies this client holds.</summary>
    public CookieContainer Cookies { get; }

    /// <summary>The base address.</summary>
    public Uri BaseAddress => _client.BaseAddress!;

    /// <summary>The underlying client.</summary>
    public HttpClient Http => _client;

    /// <summary>A cookie's value, or null.</summary>
    /// <param name="name">The cookie name.</param>
    /// <returns>The value.</returns>
    public string? Cookie(string name) => Cookies.GetCookies(BaseAddress)[name]?.Value;

    /// <summary>Sets a cookie as if the browser had it.</summary>
    /// <param name="name">The name.</param>
    /// <param name="value">The value (sent as is).</param>
    public void SetCookie(string name, string value) => Cookies.Add(BaseAddress, new Cookie(name, value) { Path = "/" });

    /// <summary>GET.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The response.</returns>
    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>POST without a body.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The response.</returns>
    public Task<HttpResponseMessage> PostAsync(string path) => _client.PostAsync(new Uri(path, UriKind.Relative), null);

    /// <summary>GET and read the body as text.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status and body.</returns>
    public async Task<(HttpStatusCode Status, string Body)> GetTextAsync(string path)
    {
        using var response = await GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POST and read the body as text.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status and body.</returns>
    public async Task<(HttpStatusCode Status, string Body)> PostTextAsync(string path)
    {
        using var response = await PostAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();

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
