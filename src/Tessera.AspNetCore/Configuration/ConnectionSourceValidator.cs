using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera.AspNetCore.Configuration;

/// <summary>Fails start-up when no Redis is configured at all, or a named connection string is missing.</summary>
internal sealed class ConnectionSourceValidator(IServiceProvider services, TesseraOptionsSource source) : IValidateOptions<TesseraSessionOptions>
{
    public ValidateOptionsResult Validate(string? name, TesseraSessionOptions options)
    {
        if (options.Configuration is not null || options.ConnectionMultiplexerFactory is not null)
        {
            return ValidateOptionsResult.Success;
        }

        if (options.ConnectionStringName is { } connectionName)
        {
            return ValidateOptionsResult.Fail(source.Name(
                $"Property {nameof(TesseraSessionOptions.ConnectionStringName)}: '{connectionName}' names no connection string: " +
                $"add ConnectionStrings:{connectionName} to the configuration (appsettings.json, or the environment variable " +
                $"ConnectionStrings__{connectionName}), or set Configuration instead."));
        }

        return services.GetService(typeof(IConnectionMultiplexer)) is null
            ? ValidateOptionsResult.Fail(source.Name(
                $"Property {nameof(TesseraOptions.Configuration)}: no Redis configured. Set Configuration (for example 'localhost:6379') " +
                "or ConnectionStringName (a name under ConnectionStrings), set ConnectionMultiplexerFactory, or register an IConnectionMultiplexer."))
            : ValidateOptionsResult.Success;
    }
}
