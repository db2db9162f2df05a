using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>The options every command that talks to Redis shares: where Redis is, the key prefix, output format, scan pacing.</summary>
internal class ConnectionSettings : CommandSettings
{
    [CommandOption("--redis <CONFIG>")]
    [Description("StackExchange.Redis configuration: host:port[,password=...][,ssl=true], several endpoints for Cluster, serviceName=NAME with sentinel endpoints for Sentinel. Default: $TESSERA_REDIS, else 127.0.0.1:6379. Prefer --password-stdin or $TESSERA_REDIS_PASSWORD to password= here.")]
    public string? Redis { get; set; }

    [CommandOption("--password-stdin")]
    [Description("Read the Redis password from standard input (keeps it out of argv). Else password= in the configuration, else $TESSERA_REDIS_PASSWORD.")]
    public bool PasswordStdin { get; set; }

    [CommandOption("--prefix <PREFIX>")]
    [Description("The key prefix the application uses.")]
    [DefaultValue("session:")]
    public string Prefix { get; set; } = "session:";

    [CommandOption("--db <N>")]
    [Description("The database number, when it is not the connection string's default.")]
    public int? Database { get; set; }

    [CommandOption("--json")]
    [Description("Print JSON for scripts instead of tables.")]
    public bool Json { get; set; }

    [CommandOption("--connect-timeout <DURATION>")]
    [Description("How long to try to connect before giving up (exit 3).")]
    [DefaultValue("5s")]
    public string ConnectTimeoutText { get; set; } = "5s";

    [CommandOption("--scan-count <N>")]
    [Description("SCAN COUNT hint: keys per batch.")]
    [DefaultValue(1000)]
    public int ScanCount { get; set; } = 1000;

    [CommandOption("--pause-every <BATCHES>")]
    [Description("Pause after this many SCAN batches (0: never), so other clients are never stalled.")]
    [DefaultValue(10)]
    public int PauseEvery { get; set; } = 10;

    [CommandOption("--pause <DURATION>")]
    [Description("How long each pause lasts.")]
    [DefaultValue("5ms")]
    public string PauseText { get; set; } = "5ms";

    /// <summary>The parsed <c>--connect-timeout</c>.</summary>
    public TimeSpan ConnectTimeout { get; private set; }

    /// <summary>The scan pacing.</summary>
    public AdminScanOptions ScanOptions => new() { Count = ScanCount, PauseEvery = PauseEvery, Pause = Pause, Database = Database };

    private TimeSpan Pause { get; set; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrEmpty(Prefix) || Prefix.Length > 64)
        {
            return ValidationResult.Error("--prefix must be 1 to 64 characters.");
        }

        if (!Durations.TryParse(ConnectTimeoutText, out var connect) || connect < TimeSpan.FromMilliseconds(100) || connect > TimeSpan.FromMinutes(5))
        {
            return ValidationResult.Error($"--connect-timeout '{ConnectTimeoutText}' is not a duration between 100ms and 5m (such as 5s).");
        }

        if (!Durations.TryParse(PauseText, out var pause) || pause > TimeSpan.FromSeconds(10))
        {
            return ValidationResult.Error($"--pause '{PauseText}' is not a duration up to 10s (such as 5ms).");
        }

        if (ScanCount is < 1 or > 100_000)
        {
            return ValidationResult.Error("--scan-count must be between 1 and 100000.");
        }

        if (PauseEvery < 0)
        {
            return ValidationResult.Error("--pause-every cannot be negative.");
        }

        if (Database is < 0)
        {
            return ValidationResult.Error("--db cannot be negative.");
        }

        ConnectTimeout = connect;
        Pause = pause;
        return ValidationResult.Success();
    }

    /// <summary>Parses a duration option in <see cref="Validate"/>.</summary>
    protected static ValidationResult? ParseDuration(string option, string? text, TimeSpan min, out TimeSpan? value)
    {
        value = null;
        if (text is null)
        {
            return null;
        }

        if (!Durations.TryParse(text, out var parsed) || parsed < min)
        {
            return ValidationResult.Error($"{option} '{text}' is not a duration of at least {Durations.Format(min)} (such as 500ms, 30s, 10m, 1h30m, 2d).");
        }

        value = parsed;
        return null;
    }
}
