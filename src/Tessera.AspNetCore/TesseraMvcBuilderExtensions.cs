using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>MVC and Razor Pages on Tessera.</summary>
public static class TesseraMvcBuilderExtensions
{
    /// <summary>
    /// Keeps TempData in the Tessera session, shown exactly once even when two requests race for it
    /// (loading TempData takes it from Redis in one step; see docs/concurrency.md). Replaces the
    /// cookie (or session) TempData provider. Needs <c>AddTessera()</c> and <c>UseTessera()</c> before MVC.
    /// </summary>
    /// <param name="builder">The builder <c>AddControllersWithViews()</c>, <c>AddRazorPages()</c> or <c>AddMvc()</c> returns.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IMvcBuilder AddTesseraTempData(this IMvcBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<ITempDataProvider, TesseraTempDataProvider>());
        return builder;
    }

    /// <summary>
    /// As <see cref="AddTesseraTempData(IMvcBuilder)"/>, and TempData saved by a request lives at most
    /// <paramref name="lifetime"/>: a message not shown within it is never shown (a value with its own
    /// lifetime, see <see cref="ITesseraSession.Set(string, byte[], TimeSpan)"/>). A message kept
    /// (<c>Keep()</c>, or left unread) is saved again with a new lifetime.
    /// </summary>
    /// <param name="builder">The builder <c>AddControllersWithViews()</c>, <c>AddRazorPages()</c> or <c>AddMvc()</c> returns.</param>
    /// <param name="lifetime">How long saved TempData lives; more than zero.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is zero or negative.</exception>
    public static IMvcBuilder AddTesseraTempData(this IMvcBuilder builder, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        builder.Services.Replace(ServiceDescriptor.Singleton<ITempDataProvider>(sp =>
            new TesseraTempDataProvider(sp.GetRequiredService<Microsoft.AspNetCore.Mvc.ViewFeatures.Infrastructure.TempDataSerializer>(), lifetime)));
        return builder;
    }
}
