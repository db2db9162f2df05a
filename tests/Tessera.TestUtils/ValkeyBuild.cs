using System.Diagnostics;

namespace Tessera.TestUtils;

/// <summary>
/// Finds the valkey-server that <c>tests/servers/valkey.sh</c> built from the Valkey source tarball
/// (cached outside the repository, keyed by the tarball's SHA-256). The script is the one place that
/// knows where the tarball and the cache are; this asks it with <c>--cached</c>, so a test never starts a
/// two-minute build. No binary is a loud failure that says what to run.
/// </summary>
public static class ValkeyBuild
{
    private static readonly Lazy<string> Server = new(Find, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The full path of valkey-server.</summary>
    /// <returns>The path.</returns>
    /// <exception cref="InvalidOperationException">It is not built yet (the message says how to build it).</exception>
    public static string FindServer() => Server.Value;

    private static string Find()
    {
        var script = Path.Combine(RepositoryRoot(), "tests", "servers", "valkey.sh");
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("--cached");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not run {script}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var path = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"valkey-server is not available, so the Valkey suites cannot run. Build it once with '{script}' " +
                $"(./test.sh runs it before the tests; needs 'sudo apt-get install -y build-essential pkg-config'). " +
                $"The script said: {stderr.Result.Trim()}");
        }

        return path;
    }

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
