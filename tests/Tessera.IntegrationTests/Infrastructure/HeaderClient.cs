using System.Net;

namespace Tessera.IntegrationTests;

/// <summary>
/// An API or mobile client: it never sends or keeps a cookie, holds the session id it was given in the
/// response header, and sends it back in the request header.
/// </summary>
public sealed class HeaderClient : IDisposable
{
    private readonly HttpClient _client;

    /// <summary>Creates a client over a handler (for example TestServer's, which keeps no cookies).</summary>
    /// <param name="inner">The handler that reaches the server.</param>
    /// <param name="baseAddress">The base address.</param>
    /// <param name="headerName">The session header.</param>
    public HeaderClient(HttpMessageHandler inner, Uri baseAddress, string headerName)
    {
        _client = new HttpClient(inner) { BaseAddress = baseAddress };
        HeaderName = headerName;
    }

    /// <summary>The session header's name.</summary>
    public string HeaderName { get; }

    /// <summary>The id this client holds and sends (null: sends no header), or a raw value a test plants.</summary>
    public string? Id { get; set; }

    /// <summary>Every Set-Cookie any response sent this client (it keeps none).</summary>
    public List<string> SetCookies { get; } = [];

    /// <summary>The underlying client (for default headers such as X-Forwarded-For).</summary>
    public HttpClient Http => _client;

    /// <summary>Sends a request with the held id and keeps what the response header carries.</summary>
    /// <param name="method">The method.</param>
    /// <param name="path">The path.</param>
    /// <returns>The response.</returns>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (Id is not null)
        {
            request.Headers.TryAddWithoutValidation(HeaderName, Id);
        }

        var response = await _client.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            SetCookies.AddRange(cookies);
        }

        if (response.Headers.TryGetValues(HeaderName, out var values))
        {
            // An empty value is a logout: forget the id.
            var value = values.Single();
            Id = value.Length == 0 ? null : value;
        }

        return response;
    }

    /// <summary>GET and read the body as text.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status and body.</returns>
    public async Task<(HttpStatusCode Status, string Body)> GetTextAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POST without a body and read the body as text.</summary>
    /// <param name="path">The path.</param>
    /// <returns>Status and body.</returns>
    public async Task<(HttpStatusCode Status, string Body)> PostTextAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Post, path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
