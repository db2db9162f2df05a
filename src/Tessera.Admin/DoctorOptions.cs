namespace Tessera.Admin;

/// <summary>How <see cref="RedisDoctor"/> checks.</summary>
public sealed class DoctorOptions
{
    /// <summary>How many <c>PING</c> round trips to time on each master.</summary>
    /// <value>Default 10.</value>
    public int Pings { get; set; } = 10;

    /// <summary>A median round trip above this is a warning.</summary>
    /// <value>Default 10 ms.</value>
    public TimeSpan LatencyWarning { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The ACL user whose rights to dangerous commands are checked (the application's user); <see langword="null"/>
    /// checks the user the doctor is connected as.
    /// </summary>
    public string? AppUser { get; set; }

    /// <summary>
    /// The StackExchange.Redis configuration string the sessions use. When it names a Sentinel service
    /// (<c>serviceName=</c>), the doctor also asks those sentinels about the master's health.
    /// </summary>
    public string? Configuration { get; set; }
}
