using Microsoft.Extensions.Options;
using Tessera.TestUtils;

namespace Tessera.Cli.Tests;

/// <summary>Secrets off the command line: the Redis password from stdin or the environment, the key ring from a file, stdin or the environment.</summary>
public sealed class SecretsTests(RedisFixture redis) : IDisposable
{
    private const string Password = "s3cret-for-tests";
    private readonly RedisServerProcess _locked = RedisServerProcess.Start(extraArgs: ["--requirepass", Password]);

    public void Dispose() => _locked.Dispose();

    [Fact]
    public async Task PasswordStdin_ConnectsToAPasswordProtectedServer()
    {
        var result = await CliRun.RunAsync(["stats", "--json", "--password-stdin", "--redis", _locked.Endpoint], stdin: Password + "\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0, TestSessions.Json(result).GetProperty("sessions").GetInt64());
    }

    [Fact]
    public async Task PasswordVariable_ConnectsToAPasswordProtectedServer()
    {
        var result = await CliRun.RunAsync(["stats", "--json", "--redis", _locked.Endpoint], new Dictionary<string, string> { ["TESSERA_REDIS_PASSWORD"] = Password });

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task WrongPasswordOnStdin_ExitsThreeWithoutEchoingIt()
    {
        var result = await CliRun.RunAsync(["stats", "--password-stdin", "--redis", _locked.Endpoint, "--connect-timeout", "2s"], stdin: "wrong-one");

        Assert.Equal(3, result.ExitCode);
        Assert.DoesNotContain("wrong-one", result.Error + result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.Error + result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoPassword_ExitsThreeNamingAuthentication()
    {
        var result = await CliRun.RunAsync(["stats", "--redis", _locked.Endpoint, "--connect-timeout", "2s"]);

        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task PasswordStdin_EmptyInput_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["stats", "--password-stdin", "--redis", _locked.Endpoint], stdin: string.Empty);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--password-stdin", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyRing_FromFileStdinOrVariable_DecryptsValues()
    {
        var prefix = redis.PrefixFor();
        var key = EncryptionOptions.NewKey();
        var id = await EncryptedSessionAsync(prefix, key);
        var file = Path.Combine(Path.GetTempPath(), $"tessera-keys-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"# the app's ring\n1:{EncryptionOptions.NewKey()}\n3:{key}\n");
        try
        {
            var fromFile = await CliRun.RunAsync(["show", id, "--values", "--json", "--key-file", file, "--redis", redis.Endpoint, "--prefix", prefix]);
            Assert.Equal("4111-1111", Card(fromFile));

            var fromStdin = await CliRun.RunAsync(["show", id, "--values", "--json", "--key-stdin", "--redis", redis.Endpoint, "--prefix", prefix], stdin: $"3:{key}\n");
            Assert.Equal("4111-1111", Card(fromStdin));

            var fromVariable = await CliRun.RunAsync(
                ["show", id, "--values", "--json", "--redis", redis.Endpoint, "--prefix", prefix],
                new Dictionary<string, string> { ["TESSERA_ENCRYPTION_KEYS"] = $"1:{EncryptionOptions.NewKey()},3:{key}" });
            Assert.Equal("4111-1111", Card(fromVariable));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("3:not-base64")]
    [InlineData("# only a comment")]
    public async Task KeyFile_BadContent_ExitsTwoNamingTheFile(string content)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tessera-keys-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, content);
        try
        {
            var result = await CliRun.RunAsync(["show", SessionIds.NewId(), "--values", "--key-file", file, "--redis", redis.Endpoint]);

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("--key-file", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task KeyFile_Missing_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["show", SessionIds.NewId(), "--values", "--key-file", "/nonexistent/keys.txt", "--redis", redis.Endpoint]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read it", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordStdinAndKeyStdin_ExitsTwo()
    {
        var result = await CliRun.RunAsync(["show", SessionIds.NewId(), "--values", "--key-stdin", "--password-stdin", "--redis", redis.Endpoint], stdin: "x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("standard input", result.Error, StringComparison.Ordinal);
    }

    private async Task<string> EncryptedSessionAsync(string prefix, string key)
    {
        var options = new TesseraOptions { KeyPrefix = prefix };
        options.Encryption.AddKey(3, key, active: true);
        var wrapped = Options.Create(options);
        var store = new RedisSessionStore(new TesseraConnection(redis.Multiplexer, wrapped), wrapped, ValueCodec.Create(options));
        var id = SessionIds.NewId();
        var changes = new SessionChanges();
        changes.Set("card", "4111-1111"u8.ToArray());
        Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(id, changes)).Status);
        return id;
    }

    private static string? Card(CliResult result) =>
        TestSessions.Json(result).GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("key").GetString() == "card").GetProperty("value").GetString();
}
