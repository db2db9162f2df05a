using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tessera.TestUtils;

namespace Tessera.IntegrationTests;

/// <summary>
/// deploy/redis-sessions.conf and deploy/sentinel.conf, proven: redis-server runs with the file as
/// shipped (only port, directory and passwords overridden), the app works through the least-privilege
/// tessera-app user without one refused command, and that user cannot FLUSHALL, KEYS, CONFIG ...
/// </summary>
public sealed class DeployConfigTests
{
    private const string AdminPassword = "test-default-password";
    private const string AppPassword = "test-app-password";
    private const string OpsPassword = "test-admin-password";
    private const string SentinelPassword = "test-sentinel-password";

    // What docs/operations.md recommends: no tie-breaker key read and no CONFIG GET at connect, so
    // StackExchange.Redis asks for nothing the ACL refuses (without them it works the same, but
    // every connect leaves two refusals in ACL LOG).
    private const string AppOptions = $"user=tessera-app,password={AppPassword},tiebreaker=,$CONFIG=";

    private static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    [Fact]
    public async Task SessionsConf_AsShipped_RunsTheAppThroughItsAclUser_AndRefusesDangerousCommands()
    {
        using var redis = StartWithDeployConfig();

        // The durability, memory and network settings of the file are in force.
        Assert.Equal("yes", ConfigGet(redis, "appendonly"));
        Assert.Equal("everysec", ConfigGet(redis, "appendfsync"));
        Assert.Equal("volatile-lru", ConfigGet(redis, "maxmemory-policy"));
        Assert.Equal((1024L * 1024 * 1024).ToString(CultureInfo.InvariantCulture), ConfigGet(redis, "maxmemory"));
        Assert.Equal("yes", ConfigGet(redis, "protected-mode"));
        Assert.StartsWith("127.0.0.1", ConfigGet(redis, "bind"), StringComparison.Ordinal);
        Assert.IsType<RespError>(RespClient.Command(redis.Port, "PING"));

        // A session's whole life through the app user: sign-in (rotation, user index), reads, writes,
        // atomic counter, devices, log out the others, logout, health check.
        await using (var app = await TestApp.StartAsync($"{redis.Endpoint},{AppOptions}", "session:", o => o.NearCache.Enabled = true))
        {
            // Revocation notices (PUBLISH and SUBSCRIBE on session:revocations) are allowed too, and the near
            // cache's connection (CLIENT TRACKING, SUBSCRIBE to __redis__:invalidate, PING).
            Assert.True(await app.Store.Revocations.StartAsync());
            Assert.True(await app.Store.NearCache.StartAsync(TimeSpan.FromSeconds(10)), $"the near cache is active ({app.Store.NearCache.State})");
            using var phone = app.CreateClient();
            using var laptop = app.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await phone.PostTextAsync("/set?k=theme&v=dark")).Status);
            Assert.Equal((HttpStatusCode.OK, "signed in"), await phone.PostTextAsync("/signin?user=ada"));
            Assert.Equal((HttpStatusCode.OK, "ada"), await phone.GetTextAsync("/peek"));
            Assert.Equal((HttpStatusCode.OK, "dark"), await phone.GetTextAsync("/get?k=theme"));
            Assert.Equal((HttpStatusCode.OK, "1"), await phone.GetTextAsync("/view"));
            Assert.Equal((HttpStatusCode.OK, "2"), await phone.GetTextAsync("/view"));
            Assert.Equal((HttpStatusCode.OK, "signed in"), await laptop.PostTextAsync("/signin?user=ada"));
            Assert.Equal(HttpStatusCode.OK, (await laptop.GetTextAsync("/devices")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/logout-others")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/peek")).Status);
            Assert.Equal((HttpStatusCode.OK, "ada"), await laptop.GetTextAsync("/peek"));
            Assert.Equal((HttpStatusCode.OK, "ada"), await laptop.GetTextAsync("/peek"));
            Assert.True(app.Store.NearCache.Count > 0, "the near cache keeps sessions through the app user");
            Assert.Equal(HttpStatusCode.OK, (await laptop.GetTextAsync("/healthz")).Status);
            Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/logout")).Status);
        }

        // Nothing the app (or StackExchange.Redis) sent was refused.
        var log = (object?[])Admin(redis, "ACL", "LOG")!;
        Assert.True(log.Length == 0, "refused commands: " + Describe(log));

        // The app user cannot run what an app never needs, nor touch keys outside its prefix.
        string[][] refused =
        [
            ["FLUSHALL"], ["FLUSHDB"], ["KEYS", "*"], ["SCAN", "0"], ["CONFIG", "GET", "requirepass"],
            ["CONFIG", "SET", "appendonly", "no"], ["SHUTDOWN"], ["MONITOR"],
            ["SCRIPT", "FLUSH"], ["ACL", "LIST"], ["REPLICAOF", "NO", "ONE"], ["SET", "other:key", "x"],
            ["HGETALL", "other:key"], ["MIGRATE", "127.0.0.1", "1", "session:x", "0", "1000"],
        ];
        foreach (var command in refused)
        {
            var reply = RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ["tessera-app", AppPassword], command);
            var error = Assert.IsType<RespError>(reply);
            Assert.StartsWith("NOPERM", error.Message, StringComparison.Ordinal);
        }

        // DEBUG is off for everyone (enable-debug-command no); the ACL would refuse it anyway.
        Assert.IsType<RespError>(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ["tessera-app", AppPassword], "DEBUG", "SLEEP", "0"));
        Assert.NotEqual("OK", Admin(redis, "ACL", "DRYRUN", "tessera-app", "DEBUG", "SLEEP", "0"));

        // And what it needs works, on its own keys.
        Assert.Equal("OK", RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ["tessera-app", AppPassword], "SET", "session:lock:x", "t", "NX", "PX", "1000"));

        // The operators' user scans and audits, but cannot KEYS, FLUSHALL or reconfigure.
        string[] ops = ["tessera-admin", OpsPassword];
        Assert.IsType<object?[]>(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "SCAN", "0", "MATCH", "session:*"));
        Assert.IsType<object?[]>(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "CONFIG", "GET", "maxmemory-policy"));
        Assert.Equal("OK", RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "ACL", "DRYRUN", "tessera-app", "EVALSHA", "0", "1", "session:x"));
        Assert.NotEqual("OK", RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "ACL", "DRYRUN", "tessera-app", "FLUSHALL"));
        // revoke-all --everyone writes the epoch (a script's SET), cleanup reads it (GET): under the prefix only.
        Assert.Equal("OK", RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "ACL", "DRYRUN", "tessera-admin", "SET", "session:everyone-revoked", "1"));
        Assert.Null(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, "GET", "session:everyone-revoked"));
        Assert.Null(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ["tessera-app", AppPassword], "GET", "session:everyone-revoked"));
        foreach (var command in new[] { new[] { "KEYS", "*" }, ["FLUSHALL"], ["CONFIG", "SET", "maxmemory", "0"], ["SET", "other:key", "x"] })
        {
            Assert.StartsWith("NOPERM", Assert.IsType<RespError>(RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), ops, command)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnAppUserFromBeforeTheFieldLimit_WithoutHlen_StillGetsTheLimit()
    {
        using var redis = StartWithDeployConfig();
        // An ACL written for an older Tessera: the app user cannot run HLEN.
        Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-app", "-hlen"));

        await using var app = await TestApp.StartAsync($"{redis.Endpoint},{AppOptions}", "session:", o => o.MaxSessionFields = 3);
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=a&v=1")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=b&v=2")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=c&v=3")).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostTextAsync("/set?k=d&v=4")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/set?k=a&v=5")).Status);
        Assert.Equal((HttpStatusCode.OK, "5"), await client.GetTextAsync("/get?k=a"));
    }

    [Fact]
    public async Task SentinelConf_AsShipped_WatchesTheMaster_AndTheAppConnectsThroughIt()
    {
        using var master = StartWithDeployConfig();

        // The shipped file, with its port, address lines and password pointed at this test.
        var text = File.ReadAllText(Path.Combine(Deploy, "sentinel.conf"))
            .Replace("sentinel monitor tessera 127.0.0.1 6379 2", $"sentinel monitor tessera 127.0.0.1 {master.Port} 1", StringComparison.Ordinal)
            .Replace("CHANGE-ME-sentinel-password", SentinelPassword, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1 {master.Port} 1", text, StringComparison.Ordinal);
        var config = string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("port ", StringComparison.Ordinal) && !l.StartsWith("dir ", StringComparison.Ordinal) && !l.StartsWith("bind ", StringComparison.Ordinal)));
        using var sentinel = RedisServerProcess.StartSentinel(0, config);

        // Sentinel logged in with the tessera-sentinel user: it reads the master's INFO.
        Poll.Until(
            () => RespClient.TryCommand(sentinel.Port, "SENTINEL", "MASTER", "tessera") is object?[] fields
                && Field(fields, "flags") == "master" && Field(fields, "role-reported") == "master" && Field(fields, "info-refresh") is { } refresh && long.Parse(refresh, CultureInfo.InvariantCulture) < 20_000,
            TimeSpan.FromSeconds(15),
            "the sentinel watches the master with the tessera-sentinel user",
            () => sentinel.Output);

        await using var app = await TestApp.StartAsync($"{sentinel.Endpoint},serviceName=tessera,{AppOptions}", "session:");
        using var client = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "signed in"), await client.PostTextAsync("/signin?user=ada"));
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/peek"));
        var log = (object?[])Admin(master, "ACL", "LOG")!;
        Assert.True(log.Length == 0, "refused commands: " + Describe(log));
    }

    [Fact]
    public async Task ClusterScript_CreatesSixNodes_OnTheShippedConfig_AndTheAppRunsThroughItsAclUser()
    {
        var ports = Enumerable.Range(0, 6).Select(_ => FreePort.Get(10000)).ToArray();
        var dir = Path.Combine(Path.GetTempPath(), "tessera-tests", $"cluster-script-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var script = Path.Combine(Deploy, "cluster", "create-cluster.sh");
        try
        {
            Script(script, "start", ports, dir);
            var secrets = File.ReadAllLines(Path.Combine(dir, "passwords.env"))
                .Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            foreach (var port in ports)
            {
                var info = RespClient.Command(port, TimeSpan.FromSeconds(5), [secrets["PASSWORD"]], "CLUSTER", "INFO");
                Assert.Equal("ok", RespClient.InfoField(info, "cluster_state"));
            }

            var nodes = string.Join(",", ports.Select(p => $"127.0.0.1:{p}"));
            await using (var app = await TestApp.StartAsync($"{nodes},user=tessera-app,password={secrets["APP_PASSWORD"]},tiebreaker=,$CONFIG=", "session:"))
            {
                using var phone = app.CreateClient();
                using var laptop = app.CreateClient();
                Assert.Equal((HttpStatusCode.OK, "signed in"), await phone.PostTextAsync("/signin?user=ada"));
                Assert.Equal((HttpStatusCode.OK, "1"), await phone.GetTextAsync("/view"));
                Assert.Equal((HttpStatusCode.OK, "signed in"), await laptop.PostTextAsync("/signin?user=ada"));
                Assert.Equal(HttpStatusCode.OK, (await laptop.GetTextAsync("/devices")).Status);
                Assert.Equal(HttpStatusCode.OK, (await laptop.PostTextAsync("/logout-others")).Status);
                Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/peek")).Status);
                Assert.Equal((HttpStatusCode.OK, "ada"), await laptop.GetTextAsync("/peek"));
            }

            // No node refused the app anything.
            foreach (var port in ports)
            {
                var log = (object?[])RespClient.Command(port, TimeSpan.FromSeconds(5), [secrets["PASSWORD"]], "ACL", "LOG")!;
                Assert.True(log.Length == 0, $"{port} refused: {Describe(log)}");
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Script(script, "stop", ports, dir);
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                    // A temporary directory: left for the OS to clean.
                }
            }
        }

        Poll.Until(() => ports.All(FreePort.IsFree), TimeSpan.FromSeconds(10), "the script stopped every node");
    }

    private static void Script(string script, string verb, int[] ports, string dir)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(verb);
        psi.Environment["PORTS"] = string.Join(' ', ports);
        psi.Environment["DIR"] = dir;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} {verb} did not finish within 120 s");
        }

        Assert.True(process.ExitCode == 0, $"{script} {verb} exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
    }

    private static RedisServerProcess StartWithDeployConfig()
    {
        var redis = RedisServerProcess.StartWithConfigFile(Path.Combine(Deploy, "redis-sessions.conf"), ["--requirepass", AdminPassword]);
        try
        {
            // Passwords are placeholders in the file: set this test's, keeping every rule.
            Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-app", "resetpass", ">" + AppPassword));
            Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-admin", "resetpass", ">" + OpsPassword));
            Assert.Equal("OK", Admin(redis, "ACL", "SETUSER", "tessera-sentinel", "resetpass", ">" + SentinelPassword));
            return redis;
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    private static object? Admin(RedisServerProcess redis, params string[] command) =>
        RespClient.Command(redis.Port, TimeSpan.FromSeconds(5), [AdminPassword], command);

    private static string? ConfigGet(RedisServerProcess redis, string name) =>
        Admin(redis, "CONFIG", "GET", name) is object?[] { Length: 2 } pair ? pair[1] as string : null;

    private static string? Field(object?[] flat, string name)
    {
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            if (flat[i] as string == name)
            {
                return flat[i + 1] as string;
            }
        }

        return null;
    }

    private static string Describe(object?[] log) =>
        string.Join("; ", log.OfType<object?[]>().Select(entry => $"{Field(entry, "username")}: {Field(entry, "reason")} {Field(entry, "object")}"));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Tessera.slnx above {AppContext.BaseDirectory}.");
    }
}
