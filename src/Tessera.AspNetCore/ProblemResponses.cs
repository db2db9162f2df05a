using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Tessera.AspNetCore;

/// <summary>Writes RFC 9457 problem details, through the app's <see cref="IProblemDetailsService"/> when it has one.</summary>
internal static class ProblemResponses
{
    public static Task WriteAsync(HttpContext context, SessionProblem problem) =>
        WriteAsync(context, problem.Status, problem.Title, problem.Detail, problem.RetryAfterSeconds);

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail, int? retryAfterSeconds)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = SessionProblem.TypeOf(status),
        };

        if (context.RequestServices.GetService<IProblemDetailsService>() is { } service
            && await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).ConfigureAwait(false))
        {
            return;
        }

        response.ContentType = "application/problem+json";
        await JsonSerializer.SerializeAsync(response.Body, problem, ProblemJsonContext.Default.ProblemDetails, context.RequestAborted).ConfigureAwait(false);
    }
}
