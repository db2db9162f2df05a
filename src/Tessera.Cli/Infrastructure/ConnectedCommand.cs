using Microsoft.Extensions.Options;
using Spectre.Console.Cli;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.Cli.Commands;

namespace Tessera.Cli.Infrastructure;

/// <summary>A command that talks to Redis: connects, runs, disconnects. Errors go to the app's one exception handler.</summary>
internal abstract class ConnectedCommand<TSettings>(CliEnvironment environment) : AsyncCommand<TSettings>
    where TSettings : ConnectionSettings
{
    protected CliEnvironment Env { get; } = environment;

    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        Env.CommandStarted = true;
        // Spectre hands on the token given to CommandApp.RunAsync, which is Env.Cancellation (Ctrl+C).
        var ct = cancellationToken;
        ct.ThrowIfCancellationRequested();
        var redis = await RedisConnector.ConnectAsync(settings, Env, ct).ConfigureAwait(false);
        await using (redis.ConfigureAwait(false))
        {
            var keyspace = new SessionKeyspace(redis, settings.Prefix, settings.ScanOptions);
            return await RunAsync(new Connected(redis, keyspace, RedisConnector.ConfigurationOf(settings, Env)), settings, ct).ConfigureAwait(false);
        }
    }

    protected abstract Task<int> RunAsync(Connected redis, TSettings settings, CancellationToken cancellationToken);

    /// <summary>The connection and what is built over it.</summary>
    internal sealed class Connected(IConnectionMultiplexer multiplexer, SessionKeyspace keyspace, string configuration)
    {
        public IConnectionMultiplexer Multiplexer { get; } = multiplexer;

        public SessionKeyspace Keyspace { get; } = keyspace;

        public SessionAdmin Admin { get; } = new(keyspace);

        public string Configuration { get; } = configuration;

        /// <summary>A session store over the same connection, for revocations (they keep the user index right) and exports.</summary>
        /// <param name="codec">Decodes values (an export's); plain only when null.</param>
        /// <returns>The store.</returns>
        public RedisSessionStore Store(ValueCodec? codec = null)
        {
            var options = Options.Create(new TesseraOptions { KeyPrefix = Keyspace.Prefix });
            return new RedisSessionStore(new TesseraConnection(Multiplexer, options), options, codec);
        }
    }
}
