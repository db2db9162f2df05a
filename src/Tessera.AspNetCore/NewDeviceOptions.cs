using System.ComponentModel.DataAnnotations;

namespace Tessera.AspNetCore;

/// <summary>
/// New-device detection: a sign-in from a browser that has not signed in as that user before raises
/// <see cref="TesseraEventKind.NewDevice"/> (with the session's handle, the first client address and the
/// device label) to every <see cref="ITesseraObserver"/>, for a "new sign-in to your account" email.
/// A browser is known by a long-lived random cookie, <see cref="CookieName"/> (HttpOnly, Secure,
/// SameSite=Lax, path <c>/</c>): a digest of the user and the cookie is recorded in the user's known
/// devices in Redis (<c>{prefix}known:{userId}</c>) for <see cref="RememberFor"/>. A browser without the
/// cookie, with a malformed one, or with one never recorded for this user (set while another user signed
/// in, copied from elsewhere, forgotten) is a new device, and gets a fresh cookie.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public sealed class NewDeviceOptions
{
    /// <summary>The device cookie's name. The <c>__Host-</c> prefix needs HTTPS: over plain HTTP a browser refuses it and every sign-in is a new device.</summary>
    public const string CookieName = "__Host-Tessera-Device";

    /// <summary>Whether sign-ins are checked for new devices. Each sign-in then costs one more Redis round trip (one script on the user's known devices) and sets the device cookie.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>How long a browser stays known after its last sign-in (the cookie's lifetime and the record's). Browsers cap a cookie's lifetime at about 400 days.</summary>
    /// <value>Default 180 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "400.00:00:00")]
    public TimeSpan RememberFor { get; set; } = TimeSpan.FromDays(180);
}
