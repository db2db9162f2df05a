namespace Tessera.AspNetCore;

/// <summary>Marks an endpoint (or a controller or action) whose session work must not interleave with other requests of the same session.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RequireSessionLockAttribute : Attribute
{
}
