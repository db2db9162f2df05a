using System.Text.Encodings.Web;

namespace Tessera.Demo;

/// <summary>The last resort for an unexpected error: a short page instead of a stack trace.</summary>
internal static class ErrorPage
{
    public static Task WriteAsync(HttpContext ctx)
    {
        var instance = ctx.RequestServices.GetService<InstanceInfo>()?.Label ?? "the demo";
        ctx.Response.ContentType = "text/html; charset=utf-8";
        return ctx.Response.WriteAsync(
            $"<!doctype html><html lang=\"en\"><title>Error</title><h1>Something went wrong</h1><p>{HtmlEncoder.Default.Encode(instance)} could not answer this request. <a href=\"/\">Back to the demo</a></p></html>");
    }
}
