using Microsoft.AspNetCore.SignalR;

namespace Tessera.AspNetCore;

/// <summary>
/// Watches each SignalR connection opened with a Tessera login (or a signed-in session) so that it is
/// closed once that login or session is ended on any instance (<see cref="LiveConnectionRegistry"/>),
/// and refuses the calls of a connection found revoked while it closes.
/// </summary>
internal sealed class TesseraHubFilter(LiveConnectionRegistry registry) : IHubFilter
{
    /// <inheritdoc/>
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        string? handle;
        try
        {
            handle = await LiveConnectionCheck.HandleOfAsync(context.Context.User, context.Context.GetHttpContext(), context.Context.ConnectionAborted).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException)
        {
            // The login claim needs no Redis; only a session-only sign-in cannot be told now.
            handle = LiveConnectionCheck.HandleOf(context.Context.User);
        }

        if (handle is not null)
        {
            registry.Add(context.Context, handle);
        }

        await next(context).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        registry.Remove(context.Context.ConnectionId);
        await next(context, exception).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        return registry.IsRevoked(invocationContext.Context.ConnectionId)
            ? throw new HubException("The login of this connection has ended.")
            : next(invocationContext);
    }
}
