using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Tessera.AspNetCore;

/// <summary>Source-generated JSON for problem details.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext
{
}
