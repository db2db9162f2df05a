using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tessera.TestUtils;

/// <summary>
/// A minimal RESP2 client for fixtures: one short-lived connection per command to a loopback port,
/// bounded by a timeout. For polling server state (INFO, CLUSTER INFO, SENTINEL ...) without a
/// multiplexer. Replies: <see cref="string"/> (simple and bulk), <see cref="long"/>, <c>object?[]</c>,
/// <see langword="null"/>, or <see cref="RespError"/>.
/// </summary>
public static class RespClient
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Sends one command and reads its reply.</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="args">The command and its arguments.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="IOException">The server could not be reached or closed the connection.</exception>
    public static object? Command(int port, params string[] args) => Command(port, DefaultTimeout, null, args);

    /// <summary>Sends one command, after AUTH when a password is given, and reads its reply.</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="timeout">Bound on connecting, sending and reading.</param>
    /// <param name="auth">AUTH arguments (password, or user and password), or null.</param>
    /// <param name="args">The command and its arguments.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="IOException">The server could not be reached or closed the connection.</exception>
    public static object? Command(int port, TimeSpan timeout, string[]? auth, params string[] args)
    {
        try
        {
            using var client = new TcpClient { NoDelay = true };
            using (var cts = new CancellationTokenSource(timeout))
            {
                client.ConnectAsync("127.0.0.1", port, cts.Token).AsTask().GetAwaiter().GetResult();
            }

            client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            client.SendTimeout = (int)timeout.TotalMilliseconds;
            using var stream = client.GetStream();
            if (auth is not null)
            {
                Write(stream, ["AUTH", .. auth]);
                if (Read(stream) is RespError error)
                {
                    return error;
                }
            }

            Write(stream, args);
            return Read(stream);
        }
        catch (SocketException ex)
        {
            throw new IOException($"127.0.0.1:{port} did not answer {args.FirstOrDefault()}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex)
        {
            throw new IOException($"127.0.0.1:{port} did not accept a connection within {timeout}.", ex);
        }
    }

    /// <summary>Sends a command, or returns null when the server cannot be reached (for polling).</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="args">The command and its arguments.</param>
    /// <returns>The reply, or null.</returns>
    public static object? TryCommand(int port, params string[] args)
    {
        try
        {
            return Command(port, TimeSpan.FromSeconds(2), null, args);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>One field of an INFO reply (or of any <c>name:value</c> text such as CLUSTER INFO).</summary>
    /// <param name="info">The text.</param>
    /// <param name="field">The field name.</param>
    /// <returns>The value, or null when absent.</returns>
    public static string? InfoField(object? info, string field)
    {
        if (info is not string text)
        {
            return null;
        }

        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length > field.Length && trimmed[field.Length] == ':' && trimmed.StartsWith(field, StringComparison.Ordinal))
            {
                return trimmed[(field.Length + 1)..];
            }
        }

        return null;
    }

    private static void Write(Stream stream, string[] args)
    {
        var builder = new StringBuilder();
        builder.Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        stream.Write(Encoding.UTF8.GetBytes(builder.ToString()));
    }

    private static object? Read(Stream stream)
    {
        var line = ReadLine(stream);
        var payload = line[1..];
        switch (line[0])
        {
            case '+':
                return payload;
            case '-':
                return new RespError(payload);
            case ':':
                return long.Parse(payload, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(payload, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var buffer = new byte[length + 2];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = stream.Read(buffer, read, buffer.Length - read);
                    if (n == 0)
                    {
                        throw new IOException("The server closed the connection in a reply.");
                    }

                    read += n;
                }

                return Encoding.UTF8.GetString(buffer, 0, length);
            case '*':
                var count = int.Parse(payload, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = Read(stream);
                }

                return items;
            default:
                throw new IOException($"Not a RESP2 reply: {line}");
        }
    }

    private static string ReadLine(Stream stream)
    {
        var bytes = new List<byte>(64);
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new IOException("The server closed the connection.");
            }

            if (b == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
            {
                bytes.RemoveAt(bytes.Count - 1);
                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            bytes.Add((byte)b);
        }
    }
}
