using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>Checks <see cref="TesseraRevalidationOptions"/> on start.</summary>
[OptionsValidator]
internal sealed partial class TesseraRevalidationOptionsValidator : IValidateOptions<TesseraRevalidationOptions>
{
}
