using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;

namespace Tessera.Demo;

/// <summary>
/// Keeps the data-protection key ring (which signs the antiforgery tokens) in a Redis list, so the
/// instances share it through Redis alone, like the sessions: a form one instance served validates
/// on any other.
/// </summary>
/// <param name="connection">The instance's own Tessera connection.</param>
/// <param name="key">The list's key.</param>
internal sealed class RedisXmlRepository(TesseraConnection connection, RedisKey key) : IXmlRepository
{
    /// <summary>The list's default key.</summary>
    public const string DefaultKey = "tessera-demo:data-protection-keys";

    /// <inheritdoc/>
    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. connection.GetDatabase().ListRange(key).Select(static v => XElement.Parse((string)v!))];

    /// <inheritdoc/>
    public void StoreElement(XElement element, string friendlyName) =>
        connection.GetDatabase().ListRightPush(key, element.ToString(SaveOptions.DisableFormatting));
}
