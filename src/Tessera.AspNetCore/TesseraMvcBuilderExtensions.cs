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
}
