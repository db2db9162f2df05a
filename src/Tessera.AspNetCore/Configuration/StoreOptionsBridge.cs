using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore.Configuration;

/// <summary>
/// Makes <c>services.Configure&lt;TesseraOptions&gt;(...)</c> count. The store and the middleware share
/// one options object, a <see cref="TesseraSessionOptions"/> (a <see cref="TesseraOptions"/>), so
/// <c>IOptions&lt;TesseraOptions&gt;</c> is that object and the framework's own
/// <c>OptionsFactory&lt;TesseraOptions&gt;</c> never runs: configure, post-configure and validate
/// callbacks registered for <see cref="TesseraOptions"/> are run here on it instead.
/// </summary>
internal sealed class StoreOptionsBridge(
    IEnumerable<IConfigureOptions<TesseraOptions>> configures,
    IEnumerable<IPostConfigureOptions<TesseraOptions>> postConfigures,
    IEnumerable<IValidateOptions<TesseraOptions>> validators,
    TesseraOptionsSource source)
    : IConfigureNamedOptions<TesseraSessionOptions>, IPostConfigureOptions<TesseraSessionOptions>, IValidateOptions<TesseraSessionOptions>
{
    public void Configure(TesseraSessionOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, TesseraSessionOptions options)
    {
        foreach (var configure in configures)
        {
            if (configure is IConfigureNamedOptions<TesseraOptions> named)
            {
                named.Configure(name, options);
            }
            else if (name == Options.DefaultName)
            {
                configure.Configure(options);
            }
        }
    }

    public void PostConfigure(string? name, TesseraSessionOptions options)
    {
        foreach (var postConfigure in postConfigures)
        {
            postConfigure.PostConfigure(name, options);
        }
    }

    public ValidateOptionsResult Validate(string? name, TesseraSessionOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        foreach (var validator in validators)
        {
            var result = validator.Validate(name, options);
            if (result.Failed)
            {
                foreach (var failure in result.Failures)
                {
                    builder.AddError(source.Name(failure));
                }
            }
        }

        return builder.Build();
    }
}
