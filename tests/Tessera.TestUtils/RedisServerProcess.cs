using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Tessera.TestUtils;

/// <summary>
/// A redis-server (or redis-sentinel, or valkey-server) process this test run started on a loopback port; it is
/// stopped by its process id, never by name. No binary means a loud failure that says what to install.
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RedisServerProcess(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Whether this object created its directory and deletes it when the server stops.</summary>
    public bool OwnsDirectory { get; private set; }

    /// <summary>Its working directory (configuration, logs).</summary>
    public string Directory { get; }

    /// <summary>Its process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>host:port for StackExchange.Redis.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>What the server printed (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts redis-server on a free (or the given) loopback port and waits until it answers PING.</summary>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <param name="extraArgs">More redis-server arguments, such as <c>--cluster-enabled yes</c>.</param>
    /// <param name="directory">The working directory, or null for a new temporary one.</param>
    /// <returns>The running server.</returns>
    public static RedisServerProcess Start(int port = 0, IEnumerable<string>? extraArgs = null, string? directory = null) =>
        StartBinary("redis-server", port, extraArgs, directory, configFile: null);

    /// <summary>
    /// Starts valkey-server (built from the Valkey source tarball by <c>tests/servers/valkey.sh</c>, see
    /// <see cref="ValkeyBuild"/>) on a free loopback port with the same arguments as <see cref="Start"/>.
    /// </summary>
    /// <param name="extraArgs">More valkey-server arguments.</param>
    /// <returns>The running server.</returns>
    public static RedisServerProcess StartValkey(IEnumerable<string>? extraArgs = null) =>
        StartBinary(ValkeyBuild.FindServer(), 0, extraArgs, null, configFile: null);

    /// <summary>
    /// Starts redis-server with a configuration file (such as deploy/redis-sessions.conf), overriding
    /// port, directory, daemonize and logfile on the command line so it runs here on a free loopback port.
    /// </summary>
    /// <param name="configFile">The configuration file.</param>
    /// <param name="extraArgs">More overrides, such as <c>--requirepass</c>.</param>
    /// <returns>The running server.</returns>
    public static RedisServerProcess StartWithConfigFile(string configFile, IEnumerable<string>? extraArgs = null)
    {
        var port = FreePort.Get(10000);
        var dir = NewDirectory("redis-server");
        string[] overrides =
        [
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dir", dir,
            "--daemonize", "no",
            "--logfile", string.Empty,
            .. extraArgs ?? [],
        ];
        return StartBinary("redis-server", port, overrides, dir, configFile, ownsDirectory: true);
    }

    /// <summary>Starts redis-sentinel with a configuration file written into its directory.</summary>
    /// <param name="port">The port, or 0 for a free one.</param>
    /// <param name="config">The sentinel configuration, without the port line.</param>
    /// <returns>The running sentinel.</returns>
    public static RedisServerProcess StartSentinel(int port, string config)
    {
        port = port == 0 ? FreePort.Get() : port;
        var dir = NewDirectory("sentinel");
        var file = Path.Combine(dir, "sentinel.conf");
        File.WriteAllText(file, $"port {port}\nbind 127.0.0.1\ndir {dir}\n{config}\n");
        return StartBinary("redis-sentinel", port, null, dir, file, ownsDirectory: true);
    }

    private static RedisServerProcess StartBinary(string binary, int port, IEnumerable<string>? extraArgs, string? directory, string? configFile, bool ownsDirectory = false)
    {
        var path = Path.IsPathRooted(binary) ? binary : FindBinary(binary);
        ownsDirectory |= directory is null;
        port = port == 0 ? FreePort.Get(10000) : port;
        directory ??= NewDirectory(binary);
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (configFile is not null)
        {
            psi.ArgumentList.Add(configFile);
        }
        else
        {
            foreach (var arg in new[]
            {
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--dir", directory,
                "--save", string.Empty,
                "--appendonly", "no",
                "--protected-mode", "yes",
                "--daemonize", "no",
                "--logfile", string.Empty,
            })
            {
                psi.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in extraArgs ?? [])
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {path}.");
        var server = new RedisServerProcess(process, port, directory) { OwnsDirectory = ownsDirectory };
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server.WaitUntilReady(TimeSpan.FromSeconds(15));
        return server;
    }

    /// <summary>Finds a Redis binary on PATH, or fails with how to install it.</summary>
    /// <param name="binary">redis-server, redis-sentinel or redis-cli.</param>
    /// <returns>The full path.</returns>
    public static string FindBinary(string binary)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(dir, binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"{binary} is not installed, so the tests that need a real Redis cannot run. Install it with " +
            "'sudo apt-get install -y redis-server redis-sentinel redis-tools' (./test.sh does this for you).");
    }

    private static string NewDirectory(string what)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tessera-tests", $"{what}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private void WaitUntilReady(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} at start on port {Port}:\n{Output}");
            }

            if (Ping())
            {
                return;
            }

            Thread.Sleep(20);
        }

        Dispose();
        throw new TimeoutException($"{_process.StartInfo.FileName} did not answer PING on port {Port} within {timeout}:\n{Output}");
    }

    /// <summary>Sends PING over a raw socket.</summary>
    /// <returns><see langword="true"/> when the server answered +PONG (or -NOAUTH: it wants a password).</returns>
    public bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            client.ReceiveTimeout = 1000;
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[64];
            var n = stream.Read(buffer);
            var reply = n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : string.Empty;
            // A server with a password answers NOAUTH: it is up all the same.
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Stops the process by its id and waits for it to exit.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        if (OwnsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp directory is harmless.
            }
            catch (UnauthorizedAccessException)
            {
                // Likewise.
            }
        }
    }
}
