using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using Tessera.Demo.Model;

namespace Tessera.Demo.Rendering;

/// <summary>The pieces every page uses: the notice at the top, a form's refusal, the antiforgery field.</summary>
internal static class Parts
{
    /// <summary>The one-time message at the top, if any.</summary>
    /// <param name="m">The model.</param>
    /// <returns>The markup.</returns>
    public static Html Notice(PageModel m)
    {
        if (m.Notice is not { } n)
        {
            return Html.Empty;
        }

        var kind = n.Kind is "success" or "info" or "warning" or "error" ? n.Kind : "info";
        var rotation = n.OldId is not null || n.NewId is not null
            ? Html.Of($""" Session ID rotated: <code id="old-id">{n.OldId ?? "(none: new visitor)"}</code> → <code id="new-id">{n.NewId}</code>. The old ID no longer works, on any instance.""")
            : Html.Empty;
        var by = n.By is not null ? Html.Of($""" <span class="tag">done by <span id="done-by">{n.By}</span></span>""") : Html.Empty;
        return Html.Of($"""<div id="notice" class="notice notice-{kind}" role="status">{n.Text}{rotation}{by}</div>""");
    }

    /// <summary>A form's refusal, by the form.</summary>
    /// <param name="m">The model.</param>
    /// <param name="form">The form's name.</param>
    /// <param name="id">The element id (for aria-describedby).</param>
    /// <returns>The markup, or nothing when the form was not refused.</returns>
    public static Html Error(PageModel m, string form, string id) =>
        m.Error is { } e && e.Form == form
            ? Html.Of($"""<p class="error" id="{id}" role="alert">{e.Message}</p>""")
            : Html.Empty;

    /// <summary>A refusal for a form the page does not show, at the top.</summary>
    /// <param name="m">The model.</param>
    /// <param name="shown">Whether the page shows the refused form (its message is then by it).</param>
    /// <returns>The markup.</returns>
    public static Html TopError(PageModel m, Func<string, bool> shown) =>
        m.Error is { } e && !shown(e.Form)
            ? Html.Of($"""<p id="page-error" class="notice notice-error" role="alert">{e.Message}</p>""")
            : Html.Empty;

    /// <summary>The attributes that mark an input of a refused form.</summary>
    /// <param name="m">The model.</param>
    /// <param name="form">The form's name.</param>
    /// <param name="id">The refusal's element id.</param>
    /// <param name="field">The input's name: marked only when the refusal is about it (or about the whole form).</param>
    /// <returns>The attributes, or nothing.</returns>
    public static Html Invalid(PageModel m, string form, string id, string? field = null) =>
        m.Error is { } e && e.Form == form && (field is null || e.Field is null || e.Field == field)
            ? Html.Of($""" aria-invalid="true" aria-describedby="{id}" """)
            : Html.Empty;

    /// <summary>The antiforgery field every form carries.</summary>
    /// <param name="m">The model.</param>
    /// <returns>The hidden input.</returns>
    public static Html Token(PageModel m) =>
        Html.Of($"""<input type="hidden" name="{m.AntiforgeryField}" value="{m.AntiforgeryToken}">""");

    /// <summary>The device limit in words: how many, and what a sign-in past it does.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The text.</returns>
    public static string LimitPolicy(DemoSettings settings) => settings.DeviceLimitPolicy == SessionLimitPolicy.DenyNew
        ? $"at most {settings.MaxDevicesPerUser} devices per user; a sign-in on one more is refused (DenyNew) until a device is logged out"
        : $"at most {settings.MaxDevicesPerUser} devices per user; a sign-in on one more logs out the oldest device (EvictOldest)";
}
