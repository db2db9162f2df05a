using System.Text;

namespace Tessera.IntegrationTests;

/// <summary>Session changes from text, for the store's tests (<c>using static</c>).</summary>
public static class TestChanges
{
    /// <summary>Changes that set each key to its value's UTF-8 bytes.</summary>
    /// <param name="values">The keys and values.</param>
    /// <returns>The changes.</returns>
    public static SessionChanges Changes(params (string Key, string Value)[] values)
    {
        var changes = new SessionChanges();
        foreach (var (key, value) in values)
        {
            changes.Set(key, Encoding.UTF8.GetBytes(value));
        }

        return changes;
    }
}
