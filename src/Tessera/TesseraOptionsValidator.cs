using Microsoft.Extensions.Options;

namespace Tessera;

/// <summary>Checks the data annotations of <see cref="TesseraOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class TesseraOptionsAnnotationsValidator : IValidateOptions<TesseraOptions>
{
}

/// <summary>Checks <see cref="TesseraOptions"/> rules that span fields, and the annotations.</summary>
public class TesseraOptionsValidator : IValidateOptions<TesseraOptions>
{
    private static readonly TesseraOptionsAnnotationsValidator Annotations = new();

    /// <inheritdoc/>
    public virtual ValidateOptionsResult Validate(string? name, TesseraOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(Annotations.Validate(name, options));
        if (options.AbsoluteTimeout < options.IdleTimeout)
        {
            builder.AddError(
                $"AbsoluteTimeout ({options.AbsoluteTimeout}) must not be shorter than IdleTimeout ({options.IdleTimeout}).",
                nameof(TesseraOptions.AbsoluteTimeout));
        }

        if (options.RefreshGranularity is { } granularity && granularity * 2 > options.IdleTimeout)
        {
            builder.AddError(
                $"RefreshGranularity ({granularity}) must be at most half of IdleTimeout ({options.IdleTimeout}): a session refreshed less often would expire while it is being read.",
                nameof(TesseraOptions.RefreshGranularity));
        }

        if (options.RenewalInterval is { } renewal)
        {
            if (renewal >= options.AbsoluteTimeout)
            {
                builder.AddError(
                    $"RenewalInterval ({renewal}) must be shorter than AbsoluteTimeout ({options.AbsoluteTimeout}): a session would end before its identifier is renewed.",
                    nameof(TesseraOptions.RenewalInterval));
            }

            if (renewal <= options.RotationGracePeriod)
            {
                builder.AddError(
                    $"RenewalInterval ({renewal}) must be longer than RotationGracePeriod ({options.RotationGracePeriod}): a renewed identifier's tombstone must be gone before the next renewal.",
                    nameof(TesseraOptions.RenewalInterval));
            }
        }

        if (options.KeyPrefix is { } prefix && (prefix.Contains('{', StringComparison.Ordinal) || prefix.Contains('}', StringComparison.Ordinal)))
        {
            builder.AddError(
                "KeyPrefix must not contain '{' or '}': a hash tag would put every session in one Redis Cluster slot.",
                nameof(TesseraOptions.KeyPrefix));
        }

        if (options.Configuration is { } config && string.IsNullOrWhiteSpace(config))
        {
            builder.AddError("Configuration is empty: give a Redis configuration string such as 'localhost:6379'.",
                nameof(TesseraOptions.Configuration));
        }

        if (options.NearCache is null)
        {
            builder.AddError("NearCache must be set (set NearCache.Enabled to false to turn the near cache off).", nameof(TesseraOptions.NearCache));
        }

        if (options.CircuitBreaker is null)
        {
            builder.AddError("CircuitBreaker must be set (set CircuitBreaker.Enabled to false to turn the breaker off).", nameof(TesseraOptions.CircuitBreaker));
        }

        foreach (var error in ProtectedValueCodec.Validate(options.Encryption ?? new EncryptionOptions()))
        {
            builder.AddError(error, "Encryption");
        }

        if (options.Compression is { ThresholdBytes: < 64 })
        {
            builder.AddError("Compression.ThresholdBytes must be at least 64.", "Compression.ThresholdBytes");
        }

        return builder.Build();
    }
}
