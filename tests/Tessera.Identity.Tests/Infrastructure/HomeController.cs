using Microsoft.AspNetCore.Mvc;

namespace Tessera.Identity.Tests;

/// <summary>The mvc template's home controller, with a flash message in TempData (session TempData provider).</summary>
public sealed class HomeController : Controller
{
    /// <summary>The home page: shows and consumes the flash message, if any.</summary>
    /// <returns>The page.</returns>
    [HttpGet("/home")]
    public IActionResult Index() => Content(TempData["Message"] as string ?? "welcome");

    /// <summary>Sets a flash message and redirects home (post-redirect-get).</summary>
    /// <returns>The redirect.</returns>
    [HttpPost("/home/flash")]
    public IActionResult Flash()
    {
        TempData["Message"] = "saved";
        return Redirect("/home");
    }
}
