using System.Globalization;

namespace Tessera.Cli.Infrastructure;

/// <summary>
/// Secrets kept off the command line (where <c>ps</c> and shell history show them): the Redis password
/// from stdin or <c>$TESSERA_REDIS_PASSWORD</c>, encryption keys from a file, stdin or
/// <c>$TESSERA_ENCRYPTION_KEYS</c>.
/// </summary>
internal static class Secrets
{
    /// <summary>The Redis password, when neither <c>--password-stdin</c> nor the configuration string gives one.</summary>
    public const string PasswordVariable = "TESSERA_REDIS_PASSWORD";

    /// <summary>The encryption key ring for <c>show --values</c> and <c>user export</c>, when neither <c>--key</c> nor <c>--key-file</c> is given.</summary>
    public const string KeysVariable = "TESSERA_ENCRYPTION_KEYS";

    /// <summary>Reads all of stdin as one secret, without its trailing line break.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="option">The option that asked, for the message.</param>
    /// <returns>The secret.</returns>
    /// <exception cref="CliException">Stdin was empty (exit 2).</exception>
    public static string ReadStdin(CliEnvironment environment, string option)
    {
        var text = environment.Input.ReadToEnd().TrimEnd('\r', '\n');
        return text.Length > 0
            ? text
            : throw new CliException(ExitCodes.Usage, $"{option}: standard input was empty (pipe the secret in, for example: printf '%s' \"$SECRET\" | tessera ...).");
    }

    /// <summary>
    /// The key ring from <c>--key-stdin</c>, else <c>--key-file</c>, else <c>$TESSERA_ENCRYPTION_KEYS</c>;
    /// <see langword="null"/> when none gives one.
    /// </summary>
    /// <param name="environment">The environment (standard input, variables).</param>
    /// <param name="keyFile">The <c>--key-file</c> path, or null.</param>
    /// <param name="keyStdin">Whether <c>--key-stdin</c> was given.</param>
    /// <returns>The ring, or null.</returns>
    /// <exception cref="CliException">The file cannot be read, or holds no valid key (exit 2).</exception>
    public static EncryptionOptions? ReadKeyRing(CliEnvironment environment, string? keyFile, bool keyStdin)
    {
        string text, source;
        if (keyStdin)
        {
            source = "--key-stdin";
            text = environment.Input.ReadToEnd();
        }
        else if (keyFile is { } path)
        {
            source = $"--key-file {path}";
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"{source}: cannot read it: {ex.Message}", ex);
            }
        }
        else if (environment.GetVariable(KeysVariable) is { Length: > 0 } fromEnv)
        {
            source = "$" + KeysVariable;
            text = fromEnv;
        }
        else
        {
            return null;
        }

        var ring = new EncryptionOptions();
        return AddKeys(SplitKeyRing(text, source), source, ring) is { } error
            ? throw new CliException(ExitCodes.Usage, error)
            : ring;
    }

    /// <summary>
    /// Reads a key ring: entries <c>id:base64</c> separated by line breaks, commas or spaces; blank
    /// lines and lines starting with <c>#</c> are skipped.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="source">Where it came from, for the message (<c>--key-file keys.txt</c>, <c>$TESSERA_ENCRYPTION_KEYS</c>).</param>
    /// <returns>The entries.</returns>
    /// <exception cref="CliException">No entry at all (exit 2).</exception>
    public static IReadOnlyList<string> SplitKeyRing(string text, string source)
    {
        var entries = text.Split('\n')
            .Select(static line => line.Trim())
            .Where(static line => line.Length > 0 && !line.StartsWith('#'))
            .SelectMany(static line => line.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        return entries.Count > 0 ? entries : throw new CliException(ExitCodes.Usage, $"{source}: no key in it (expected lines of id:base64).");
    }

    /// <summary>Adds <c>id:base64</c> entries to a key ring; the first becomes active (it only matters for writing).</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="source">Where they came from, for the message.</param>
    /// <param name="ring">The ring to fill.</param>
    /// <returns>The first problem, or <see langword="null"/>.</returns>
    public static string? AddKeys(IEnumerable<string> entries, string source, EncryptionOptions ring)
    {
        foreach (var text in entries)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 1 || !byte.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return $"{source} must hold id:base64 entries, such as 1:q83v... (id 1..255).";
            }

            ring.AddKey(id, text[(colon + 1)..], active: ring.Keys.Count == 0);
        }

        return ProtectedValueCodec.Validate(ring).FirstOrDefault() is { } error ? $"{source}: {error}" : null;
    }
}
