using Tessera.AspNetCore;

namespace Tessera.Demo;

/// <summary>
/// "Signed out elsewhere", live: a signed-in page holds a server-sent event stream open on whichever
/// instance the proxy picked; when its session ends anywhere (a logout in another tab, "log out my other
/// devices" or a revoke on another browser, on any instance), the revocation notice reaches this instance
/// and the stream says <c>ended</c> at once. The stream re-checks on its own every 10 s in case a notice
/// was lost, and never slides the session (watching is not using).
/// </summary>
internal static partial class DemoEndpoints
{
    /// <summary>The stream's own re-check, for a lost notice.</summary>
    private static readonly TimeSpan LiveRecheck = TimeSpan.FromSeconds(10);

    /// <summary>How long one stream is held before the browser is asked to reconnect.</summary>
    private static readonly TimeSpan LiveLifetime = TimeSpan.FromMinutes(5);

    private static void MapLive(WebApplication app) =>
        app.MapGet("/api/live", LiveAsync).WithoutSessionSliding();

    private static async Task LiveAsync(HttpContext ctx)
    {
        var s = ctx.GetTesseraSession();
        await s.LoadAsync(ctx.RequestAborted);
        ctx.Response.Headers.CacheControl = "no-store";
        if (!s.Exists || s.UserId is null)
        {
            // 204 tells EventSource not to reconnect: nothing to watch.
            ctx.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var store = ctx.RequestServices.GetRequiredService<RedisSessionStore>();
        var stopping = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var handle = SessionIds.Handle(s.Id);
        using var wake = new SemaphoreSlim(0);
        using var notices = store.Revocations.Subscribe(n =>
        {
            if (n.Concerns(Volatile.Read(ref handle)))
            {
                wake.Release();
            }
        });
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        held.CancelAfter(LiveLifetime);
        ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.WriteAsync($"retry: 3000\n: watching session {SessionIds.TagOfHandle(handle)} on {Instance(ctx).Name}\n\n", held.Token);
        await ctx.Response.Body.FlushAsync(held.Token);
        try
        {
            while (true)
            {
                var notified = await wake.WaitAsync(LiveRecheck, held.Token);
                string? now;
                try
                {
                    now = (await store.Users.LiveHandlesAsync([handle], held.Token))[0];
                }
                catch (TesseraUnavailableException)
                {
                    // Redis is not answering: the page's own requests say so; keep watching.
                    continue;
                }

                if (now is null)
                {
                    await ctx.Response.WriteAsync("event: ended\ndata: signed-out\n\n", held.Token);
                    await ctx.Response.Body.FlushAsync(held.Token);
                    return;
                }

                // A rotation (a sign-in in another tab) is followed; the cookie the browser holds was rotated with it.
                Volatile.Write(ref handle, now);
                if (!notified)
                {
                    await ctx.Response.WriteAsync(": still signed in\n\n", held.Token);
                    await ctx.Response.Body.FlushAsync(held.Token);
                }
            }
        }
        catch (OperationCanceledException) when (held.IsCancellationRequested)
        {
            // The page went away, the instance is stopping, or the stream's time is up (the browser reconnects).
        }
    }
}
