using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.Mvc.ViewFeatures.Infrastructure;

namespace Tessera.AspNetCore;

/// <summary>
/// MVC and Razor Pages TempData in the Tessera session (<see cref="TesseraMvcBuilderExtensions.AddTesseraTempData(Microsoft.Extensions.DependencyInjection.IMvcBuilder)"/>),
/// shown exactly once even when requests race for it. Like the stock <c>SessionStateTempDataProvider</c>
/// it keeps one session value (the same key and <see cref="TempDataSerializer"/> format), but loading
/// TempData <em>takes</em> it (<see cref="ITesseraSession.TakeAsync"/>: read and remove in one step in
/// Redis), where the stock provider reads it and removes it at the end of the request: two requests that
/// load at once both read it there and both show the message. Saving writes back only what the request
/// keeps (unread or <c>Keep()</c>); with nothing kept it writes nothing. With a lifetime
/// (<see cref="TesseraMvcBuilderExtensions.AddTesseraTempData(Microsoft.Extensions.DependencyInjection.IMvcBuilder, TimeSpan)"/>)
/// what it saves is a value with its own lifetime (<see cref="ITesseraSession.Set(string, byte[], TimeSpan)"/>):
/// a message not shown within it is never shown.
/// </summary>
internal sealed class TesseraTempDataProvider : ITempDataProvider
{
    /// <summary>The session key: the stock session provider's, so TempData a running app stored with it is read.</summary>
    internal const string Key = "__ControllerTempData";

    private readonly TempDataSerializer _serializer;
    private readonly TimeSpan? _lifetime;

    public TesseraTempDataProvider(TempDataSerializer serializer)
        : this(serializer, null)
    {
    }

    /// <summary>Creates the provider; with <paramref name="lifetime"/>, saved TempData expires after it.</summary>
    public TesseraTempDataProvider(TempDataSerializer serializer, TimeSpan? lifetime)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _serializer = serializer;
        _lifetime = lifetime;
    }

    /// <inheritdoc/>
    public IDictionary<string, object> LoadTempData(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var session = context.GetTesseraSession();

        // MVC loads TempData synchronously. The session is read as the stock provider reads it (ahead,
        // awaited, once the middleware has learned the endpoint), and taken only when it holds TempData:
        // a page with none writes nothing.
        var bytes = session is TesseraSession own ? own.Take(Key) : session.TakeAsync(Key).GetAwaiter().GetResult();
        return bytes is null ? new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase) : _serializer.Deserialize(bytes);
    }

    /// <inheritdoc/>
    public void SaveTempData(HttpContext context, IDictionary<string, object> values)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Nothing kept: the load took what there was, so there is nothing to remove (a Remove here could
        // only delete a message another request stored since).
        if (values is not { Count: > 0 })
        {
            return;
        }

        var session = context.GetTesseraSession();
        if (_lifetime is { } lifetime)
        {
            session.Set(Key, _serializer.Serialize(values), lifetime);
        }
        else
        {
            session.Set(Key, _serializer.Serialize(values));
        }
    }
}
