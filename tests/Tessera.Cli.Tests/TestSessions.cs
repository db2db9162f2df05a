using System.Text;
using System.Text.Json;

namespace Tessera.Cli.Tests;

/// <summary>Helpers to create sessions through the real store and to read the CLI's JSON.</summary>
public static class TestSessions
{
    /// <summary>Creates a session through the store, with a value and optionally a user.</summary>
    /// <param name="store">The store.</param>
    /// <param name="user">The user to bind, or null.</param>
    /// <param name="values">Values to store.</param>
    /// <returns>The new id.</returns>
    public static async Task<string> CreateAsync(RedisSessionStore store, string? user = null, params (string Key, string Value)[] values)
    {
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        foreach (var (key, value) in values.Length == 0 ? [("name", "x")] : values)
        {
            changes.Set(key, Encoding.UTF8.GetBytes(value));
        }

        var result = await store.CreateAsync(id, changes, user is null ? null : new SessionWrite { UserId = user, ClientIp = "10.0.0.1", UserAgent = "test-agent" });
        Assert.Equal(CommitStatus.Committed, result.Status);
        return id;
    }

    /// <summary>Parses JSON output.</summary>
    /// <param name="result">A run with --json.</param>
    /// <returns>The root element.</returns>
    public static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }
}
