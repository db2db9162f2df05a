using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;

namespace Tessera.AspNetCore.Tests.Session;

public sealed class SessionIdChannelTests
{
    private static readonly string Id = SessionIds.NewId();
    private static readonly string Other = SessionIds.NewId();

    private static SessionIdChannel Channel(SessionIdTransport transport) => new(new TesseraSessionOptions { IdTransport = transport });

    private static DefaultHttpContext Request(string? header = null, string? cookie = null)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers[TesseraSessionOptions.DefaultHeaderName] = header;
        }

        if (cookie is not null)
        {
            context.Request.Headers.Cookie = $"{TesseraSessionOptions.DefaultCookieName}={cookie}";
        }

        return context;
    }

    [Fact]
    public void Cookie_NeverReadsTheHeader()
    {
        Assert.Null(Channel(SessionIdTransport.Cookie).Read(Request(header: Id).Request, out var source, out _));
        Assert.Equal(SessionIdSource.None, source);
        Assert.Equal(Id, Channel(SessionIdTransport.Cookie).Read(Request(header: Other, cookie: Id).Request, out source, out _));
        Assert.Equal(SessionIdSource.Cookie, source);
    }

    [Fact]
    public void Header_NeverReadsTheCookie()
    {
        Assert.Null(Channel(SessionIdTransport.Header).Read(Request(cookie: Id).Request, out var source, out _));
        Assert.Equal(SessionIdSource.None, source);
        Assert.Equal(Id, Channel(SessionIdTransport.Header).Read(Request(header: Id, cookie: Other).Request, out source, out _));
        Assert.Equal(SessionIdSource.Header, source);
    }

    [Theory]
    [InlineData("forged", 6)]
    [InlineData("", -1)]
    public void Both_AHeaderThatIsNotAnId_NeverFallsBackToTheCookie(string header, int refused)
    {
        Assert.Null(Channel(SessionIdTransport.Both).Read(Request(header: header, cookie: Id).Request, out var source, out var length));
        Assert.Equal(SessionIdSource.Header, source);
        Assert.Equal(refused, length);
    }

    [Fact]
    public void Header_SentTwice_IsNeitherValue()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[TesseraSessionOptions.DefaultHeaderName] = new Microsoft.Extensions.Primitives.StringValues([Id, Id]);
        Assert.Null(Channel(SessionIdTransport.Header).Read(context.Request, out var source, out var length));
        Assert.Equal(SessionIdSource.Header, source);
        Assert.Equal(2 * Id.Length, length);
    }

    [Theory]
    [InlineData(SessionIdTransport.Header, 0 /* None */, true, false)]
    [InlineData(SessionIdTransport.Header, 2 /* Header */, true, false)]
    [InlineData(SessionIdTransport.Cookie, 1 /* Cookie */, false, true)]
    [InlineData(SessionIdTransport.Both, 2 /* Header */, true, false)]
    [InlineData(SessionIdTransport.Both, 1 /* Cookie */, false, true)]
    [InlineData(SessionIdTransport.Both, 0 /* None */, true, true)]
    public void Issue_GoesBackTheWayTheIdCame(SessionIdTransport transport, int source, bool header, bool cookie)
    {
        var context = new DefaultHttpContext();
        Assert.True(Channel(transport).Write(context, CookieAction.Issue, Id, (SessionIdSource)source));
        var headers = context.Response.Headers;
        Assert.Equal(header, headers.TryGetValue(TesseraSessionOptions.DefaultHeaderName, out var value) && value == Id);
        Assert.Equal(cookie, headers.SetCookie.Any(static c => c!.StartsWith(TesseraSessionOptions.DefaultCookieName + "=" + Id, StringComparison.Ordinal)));
    }

    [Fact]
    public void Delete_EmptiesTheHeader_AndNothing_WritesNothing()
    {
        var context = new DefaultHttpContext();
        Assert.True(Channel(SessionIdTransport.Header).Write(context, CookieAction.Delete, null, SessionIdSource.Header));
        Assert.Equal(string.Empty, context.Response.Headers[TesseraSessionOptions.DefaultHeaderName].ToString());
        Assert.Equal(0, context.Response.Headers.SetCookie.Count);

        var untouched = new DefaultHttpContext();
        Assert.False(Channel(SessionIdTransport.Both).Write(untouched, CookieAction.None, Id, SessionIdSource.None));
        Assert.Empty(untouched.Response.Headers);
    }
}
