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

    /// <summary>
    /// Creates a device as cookie authentication with the ticket store makes one: a login (its value is
    /// the ticket) and the session the same browser signed in with, linked to it.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="user">The user.</param>
    /// <param name="values">The session's values.</param>
    /// <returns>The login's id and the session's id.</returns>
    public static async Task<(string Login, string Session)> CreateDeviceAsync(RedisSessionStore store, string user, params (string Key, byte[] Value)[] values)
    {
        var login = SessionIds.NewId();
        var ticket = new SessionChanges();
        ticket.Set("ticket", [0x05, 0x00, 0xff, .. "alice's ticket"u8]);
        var write = new SessionWrite { UserId = user, ClientIp = "10.0.0.1", UserAgent = "laptop-agent", AuthenticatedAt = DateTimeOffset.MinValue };
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(login, ticket, write)).Status);

        var session = SessionIds.NewId();
        var changes = new SessionChanges();
        foreach (var (key, value) in values)
        {
            changes.Set(key, value);
        }

        var linked = new SessionWrite { UserId = user, ClientIp = "10.0.0.1", UserAgent = "laptop-agent", LoginHandle = SessionIds.Handle(login) };
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(session, changes, linked)).Status);
        return (login, session);
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
