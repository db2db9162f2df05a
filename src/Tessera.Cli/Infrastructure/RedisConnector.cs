using System.Net;
using StackExchange.Redis;
using Tessera.Cli.Commands;

namespace Tessera.Cli.Infrastructure;

/// <summary>Connects to the Redis the settings name, failing with one clear line (exit 3) when it cannot.</summary>
internal static class RedisConnector
{
    public const string Variable = "TESSERA_REDIS";
    public const string Default = "127.0.0.1:6379";

    /// <summary>The configuration string in force: <c>--redis</c>, else <c>$TESSERA_REDIS</c>, else the default.</summary>
    public static string ConfigurationOf(ConnectionSettings settings, CliEnvironment environment) =>
        settings.Redis is { Length: > 0 } redis ? redis
        : environment.GetVariable(Variable) is { Length: > 0 } fromEnv ? fromEnv
        : Default;

    public static async Task<ConnectionMultiplexer> ConnectAsync(ConnectionSettings settings, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var text = ConfigurationOf(settings, environment);
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(text);
            TesseraConnection.CheckReplies(options, text);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.Usage, $"--redis: {ex.Message.Split('\n')[0].Trim()}", ex);
        }

        if (options.EndPoints.Count == 0)
        {
            throw new CliException(ExitCodes.Usage, "--redis names no endpoint (expected host:port).");
        }

        // The password: --password-stdin, else password= in the configuration, else $TESSERA_REDIS_PASSWORD.
        if (settings.PasswordStdin)
        {
            options.Password = Secrets.ReadStdin(environment, "--password-stdin");
        }
        else if (string.IsNullOrEmpty(options.Password) && environment.GetVariable(Secrets.PasswordVariable) is { Length: > 0 } password)
        {
            options.Password = password;
        }

        var timeout = (int)settings.ConnectTimeout.TotalMilliseconds;
        options.AllowAdmin = true;
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = timeout;
        options.ConnectRetry = 1;
        options.AsyncTimeout = Math.Max(options.AsyncTimeout, 10_000);
        options.SyncTimeout = Math.Max(options.SyncTimeout, 10_000);
        options.ClientName ??= "tessera-cli";
        if (settings.Database is { } db)
        {
            options.DefaultDatabase = db;
        }

        var endpoints = string.Join(", ", options.EndPoints.Select(Describe));
        try
        {
            // Under Sentinel the sentinels' connection lives as long as the process (the CLI's is short).
            return (await TesseraConnection.ConnectAsync(options).WaitAsync(cancellationToken).ConfigureAwait(false)).Primary;
        }
        catch (RedisConnectionException ex)
        {
            var why = ex.FailureType switch
            {
                ConnectionFailureType.AuthenticationFailure => "authentication failed (check password= and user=)",
                ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => "nothing answered",
                _ => ex.FailureType.ToString(),
            };
            throw new CliException(ExitCodes.Unreachable, $"Cannot reach Redis at {endpoints}: {why} within {Durations.Format(settings.ConnectTimeout)}.", ex);
        }
    }

    private static string Describe(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };
}
