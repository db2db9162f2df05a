using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>
/// The demo's stand-in for an identity provider: the first login with a name registers it with the
/// password given (a PBKDF2 hash in Redis, kept a day from the last login), later logins and the
/// step-up confirmation must give the same password. Shared by every instance through Redis.
/// </summary>
/// <param name="connection">The instance's Tessera connection.</param>
internal sealed class DemoAccounts(TesseraConnection connection)
{
    /// <summary>The prefix of an account's key (outside the sessions' prefix).</summary>
    public const string KeyPrefix = "tessera-demo:account:";

    private const int Iterations = 50_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    /// <summary>Checks a login: registers a new name, else verifies its password.</summary>
    /// <param name="user">A valid username.</param>
    /// <param name="password">The password typed.</param>
    /// <returns>What was found.</returns>
    /// <exception cref="TesseraUnavailableException">Redis did not answer.</exception>
    public async Task<AccountCheck> SignInAsync(string user, string password)
    {
        var key = KeyPrefix + user;
        var db = await DatabaseAsync();
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var record = string.Create(CultureInfo.InvariantCulture, $"{Iterations}:{Convert.ToBase64String(salt)}:{Convert.ToBase64String(Hash(password, salt, Iterations))}");
        if (await RunAsync(db.StringSetAsync(key, record, Lifetime, When.NotExists)))
        {
            return AccountCheck.Registered;
        }

        if (!await VerifyAsync(user, password))
        {
            return AccountCheck.WrongPassword;
        }

        await RunAsync(db.KeyExpireAsync(key, Lifetime));
        return AccountCheck.Verified;
    }

    /// <summary>Whether a password is the name's (step-up). An unknown name has no password.</summary>
    /// <param name="user">The username.</param>
    /// <param name="password">The password typed.</param>
    /// <returns>Whether it matches.</returns>
    /// <exception cref="TesseraUnavailableException">Redis did not answer.</exception>
    public async Task<bool> VerifyAsync(string user, string password)
    {
        var db = await DatabaseAsync();
        var stored = (string?)await RunAsync(db.StringGetAsync(KeyPrefix + user));
        var parts = stored?.Split(':');
        if (parts is not { Length: 3 } || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1 or > 1_000_000)
        {
            return false;
        }

        try
        {
            var expected = Convert.FromBase64String(parts[2]);
            return CryptographicOperations.FixedTimeEquals(Hash(password, Convert.FromBase64String(parts[1]), iterations), expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] Hash(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    private async Task<IDatabase> DatabaseAsync()
    {
        try
        {
            return await connection.GetDatabaseAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new TesseraUnavailableException("Redis did not answer the account lookup.", ex);
        }
    }

    private static async Task<T> RunAsync<T>(Task<T> command)
    {
        try
        {
            return await command.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new TesseraUnavailableException("Redis did not answer the account lookup.", ex);
        }
    }
}
