using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>The optional per-session lock for read-modify-write endpoints.</summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public sealed class SessionLockOptions
{
    /// <summary>Whether every request that carries a session cookie takes the lock (else only endpoints marked with <c>RequireSessionLock()</c> or <see cref="RequireSessionLockAttribute"/>).</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool LockAllRequests { get; set; }

    /// <summary>How long a lock lives if its request never releases it (a crashed server).</summary>
    /// <value>Default 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request waits for the lock before it gets <see cref="FailureStatusCode"/>.</summary>
    /// <value>Default 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The status a request gets when the lock could not be had in time: 409 or 503.</summary>
    /// <value>Default 409.</value>
    public int FailureStatusCode { get; set; } = StatusCodes.Status409Conflict;
}
