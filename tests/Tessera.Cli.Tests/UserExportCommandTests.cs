using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Tessera.Cli.Tests;

public sealed class UserExportCommandTests(RedisFixture redis)
{
    private static readonly byte[] Binary = [0x00, 0x01, 0xfe, 0xff, 0x1b, 0x5b];

    // A value an attacker (or a careless app) filled with terminal controls: JSON keeps it exactly.
    private const string Hostile = "line1\nline2\u001b]0;pwned\u0007\u202Egnp.exe \"quoted\" <b>";

    [Fact]
    public async Task Export_Json_HasTheDevicesAndEverySessionsValuesExactly_ByHandle()
    {
        var prefix = redis.PrefixFor("export");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice", ("cart", "3 books"u8.ToArray()), ("blob", Binary), ("note", System.Text.Encoding.UTF8.GetBytes(Hostile)));
        var phone = await TestSessions.CreateAsync(store, "alice", ("theme", "dark"));
        await TestSessions.CreateAsync(store, "bob", ("theme", "bob's"));
        Assert.True(await store.Users.NameDeviceAsync("alice", SessionIds.Handle(linked), "Laptop"));

        var result = await CliRun.RunAsync(["user", "export", "alice", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var id in new[] { login, linked, phone })
        {
            Assert.DoesNotContain(id, result.Out, StringComparison.Ordinal); // ids are credentials: only handles
        }

        var json = TestSessions.Json(result);
        Assert.Equal("alice", json.GetProperty("userId").GetString());
        Assert.True(IsIso8601(json.GetProperty("exportedAt")));

        // Two devices: the login with its linked session, and the phone's session on its own.
        var devices = json.GetProperty("devices").EnumerateArray().ToDictionary(static d => d.GetProperty("handle").GetString()!);
        Assert.Equal(new[] { SessionIds.Handle(login), SessionIds.Handle(phone) }.Order(), devices.Keys.Order());
        var laptop = devices[SessionIds.Handle(login)];
        Assert.Equal([SessionIds.Handle(linked)], laptop.GetProperty("linkedHandles").EnumerateArray().Select(static h => h.GetString()));
        Assert.Equal("10.0.0.1", laptop.GetProperty("firstClientIp").GetString());
        Assert.Equal("laptop-agent", laptop.GetProperty("firstUserAgent").GetString());
        // The name the user gave the device is the user's data too (named by the linked session, kept on the login).
        Assert.Equal(("Laptop", "Unknown browser"), (laptop.GetProperty("deviceName").GetString(), laptop.GetProperty("deviceLabel").GetString()));
        foreach (var time in new[] { "created", "authenticatedAt", "lastSeen", "expiresAt", "absoluteDeadline" })
        {
            Assert.True(IsIso8601(laptop.GetProperty(time)), $"{time}: {laptop.GetProperty(time)}");
        }

        // Every session and login, with its values decoded, byte for byte (base64), bob's not among them.
        var sessions = json.GetProperty("sessions").EnumerateArray().ToDictionary(static s => s.GetProperty("handle").GetString()!);
        Assert.Equal(new[] { login, linked, phone }.Select(SessionIds.Handle).Order(), sessions.Keys.Order());
        var values = sessions[SessionIds.Handle(linked)].GetProperty("values");
        Assert.Equal("3 books"u8.ToArray(), values.GetProperty("cart").GetBytesFromBase64());
        Assert.Equal(Binary, values.GetProperty("blob").GetBytesFromBase64());
        Assert.Equal(Hostile, System.Text.Encoding.UTF8.GetString(values.GetProperty("note").GetBytesFromBase64()));
        Assert.Equal(SessionIds.Handle(login), sessions[SessionIds.Handle(linked)].GetProperty("loginHandle").GetString());
        Assert.Equal([0x05, 0x00, 0xff, .. "alice's ticket"u8], sessions[SessionIds.Handle(login)].GetProperty("values").GetProperty("ticket").GetBytesFromBase64());
        Assert.Equal("dark"u8.ToArray(), sessions[SessionIds.Handle(phone)].GetProperty("values").GetProperty("theme").GetBytesFromBase64());
        Assert.DoesNotContain("bob", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Json_CarriesEachValuesDeadline_AndLeavesExpiredValuesOut()
    {
        var prefix = redis.PrefixFor("export-ttl");
        var store = redis.CreateStore(prefix);
        var phone = await TestSessions.CreateAsync(store, "carol", ("theme", "dark"));
        var deadline = DateTimeOffset.UtcNow.AddHours(1);
        var changes = new SessionChanges();
        changes.Set("code", "live"u8.ToArray(), deadline);
        changes.Set("old", "stale-code"u8.ToArray(), DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(CommitStatus.Committed, (await store.CommitAsync(phone, changes)).Status);

        var result = await CliRun.RunAsync(["user", "export", "carol", "--json", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var session = Assert.Single(TestSessions.Json(result).GetProperty("sessions").EnumerateArray());
        Assert.Equal(["code", "theme"], session.GetProperty("values").EnumerateObject().Select(static p => p.Name).Order(StringComparer.Ordinal));
        var expiries = session.GetProperty("expiries").EnumerateObject().ToDictionary(static p => p.Name, static p => p.Value.GetDateTimeOffset());
        Assert.Equal(["code"], expiries.Keys);
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), expiries["code"].ToUnixTimeMilliseconds());
        Assert.DoesNotContain("stale-code", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Json_HostileUserIdAndAgent_StayExactAndValid()
    {
        var prefix = redis.PrefixFor("export");
        var store = redis.CreateStore(prefix);
        const string User = "idp|al\"ice\u202E";
        var id = await TestSessions.CreateAsync(store, User, ("k", "v"));
        await redis.Db.HashSetAsync(prefix + SessionIds.Handle(id), "#ua", Hostile);

        var result = await CliRun.RunAsync(["user", "export", User, "--json", "--redis", redis.Endpoint, "--prefix", prefix]);

        var json = TestSessions.Json(result);
        Assert.Equal(User, json.GetProperty("userId").GetString());
        Assert.Equal(Hostile, json.GetProperty("sessions")[0].GetProperty("userAgent").GetString());
        Assert.DoesNotContain(result.Out, static c => char.IsControl(c) && c is not '\n' and not '\r'); // escaped as \uXXXX
    }

    [Fact]
    public async Task Export_Table_ShowsDevicesAndValues_WithoutTerminalControls()
    {
        var prefix = redis.PrefixFor("export");
        var store = redis.CreateStore(prefix);
        var (login, linked) = await TestSessions.CreateDeviceAsync(store, "alice", ("cart", "3 books"u8.ToArray()), ("note", System.Text.Encoding.UTF8.GetBytes(Hostile)), ("blob", Binary));

        var result = await CliRun.RunAsync(["user", "export", "alice", "--redis", redis.Endpoint, "--prefix", prefix]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(SessionIds.Handle(login), result.Out, StringComparison.Ordinal);
        Assert.Contains(SessionIds.LogTag(linked) + " (of login " + SessionIds.LogTag(login) + ")", result.Out, StringComparison.Ordinal);
        Assert.Contains("3 books", result.Out, StringComparison.Ordinal);
        Assert.Contains("base64:" + Convert.ToBase64String(Binary), result.Out, StringComparison.Ordinal);
        Assert.Contains("base64:" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Hostile)), result.Out, StringComparison.Ordinal); // not text for a terminal
        Assert.DoesNotContain(result.Out, static c => TerminalText.IsUnsafe(c) && c is not '\n' and not '\r');
        Assert.Contains("1 device(s), 2 session(s) exported", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_EncryptedValues_WithoutTheKeyRing_SaysSoAndExitsOne_WithItDecrypts()
    {
        var prefix = redis.PrefixFor("export");
        var key = EncryptionOptions.NewKey();
        var options = new TesseraOptions { KeyPrefix = prefix };
        options.Encryption.AddKey(3, key, active: true);
        var wrapped = Options.Create(options);
        var app = new RedisSessionStore(new TesseraConnection(redis.Multiplexer, wrapped), wrapped, ValueCodec.Create(options));
        var id = await TestSessions.CreateAsync(app, "dana", ("card", "4111-1111"));
        string[] args = ["user", "export", "dana", "--json", "--redis", redis.Endpoint, "--prefix", prefix];

        var without = await CliRun.RunAsync(args);
        Assert.True(without.ExitCode == 1, without.ToString());
        Assert.Contains("not in the export", without.Error, StringComparison.Ordinal);
        Assert.Contains(SessionIds.LogTag(id), without.Error, StringComparison.Ordinal);
        // Listed, not dropped: the record is there, marked undecoded, without values.
        var undecoded = Assert.Single(TestSessions.Json(without).GetProperty("sessions").EnumerateArray());
        Assert.False(undecoded.GetProperty("decoded").GetBoolean());
        Assert.Empty(undecoded.GetProperty("values").EnumerateObject());

        var with = await CliRun.RunAsync([.. args, "--key-stdin"], stdin: $"3:{key}\n");
        Assert.True(with.ExitCode == 0, with.ToString());
        var values = TestSessions.Json(with).GetProperty("sessions")[0].GetProperty("values");
        Assert.Equal("4111-1111"u8.ToArray(), values.GetProperty("card").GetBytesFromBase64());
    }

    [Fact]
    public async Task Export_UnknownUser_IsAnEmptyExport()
    {
        var prefix = redis.PrefixFor("export");

        var json = TestSessions.Json(await CliRun.RunAsync(["user", "export", "nobody", "--json", "--redis", redis.Endpoint, "--prefix", prefix]));

        Assert.Empty(json.GetProperty("devices").EnumerateArray());
        Assert.Empty(json.GetProperty("sessions").EnumerateArray());
    }

    private static bool IsIso8601(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParseExact(value.GetString(), "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFK", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}
