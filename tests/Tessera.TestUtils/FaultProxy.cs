using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Tessera.TestUtils;

/// <summary>
/// A fault-injection TCP proxy on a free loopback port, between the app under test and a real
/// server: pass with added latency each way, blackhole (accept, forward nothing), or reset every
/// connection. Chunks keep their order; latency delays each one from the moment it was read.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Server)> _links = new();
    private readonly Task _accepting;
    private int _next;

    /// <summary>Starts a proxy to <paramref name="upstream"/> (host:port on loopback).</summary>
    /// <param name="upstream">The real server.</param>
    public FaultProxy(string upstream)
    {
        var parts = upstream.Split(':');
        _upstream = new IPEndPoint(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary>host:port to connect to instead of the server.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Added delay for each chunk, in each direction.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>The fault in force.</summary>
    public FaultMode Mode { get; private set; }

    /// <summary>How many connections the proxy has accepted.</summary>
    public int Accepted => _next;

    /// <summary>Changes the fault; <see cref="FaultMode.Reset"/> resets every open connection at once.</summary>
    /// <param name="mode">The new fault.</param>
    public void Set(FaultMode mode)
    {
        Mode = mode;
        if (mode == FaultMode.Reset)
        {
            foreach (var (key, link) in _links)
            {
                Close(key, link, reset: true);
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var (key, link) in _links)
        {
            Close(key, link, reset: false);
        }

        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            if (Mode == FaultMode.Reset)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var server = new TcpClient { NoDelay = true };
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            client.NoDelay = true;
            var key = Interlocked.Increment(ref _next);
            _links[key] = (client, server);
            _ = PumpAsync(key, client, server);
            _ = PumpAsync(key, server, client);
        }
    }

    private async Task PumpAsync(int key, TcpClient from, TcpClient to)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteAsync(chunks.Reader, to.GetStream());
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                if (Mode == FaultMode.Blackhole)
                {
                    continue;
                }

                var due = Environment.TickCount64 + (long)Latency.TotalMilliseconds;
                chunks.Writer.TryWrite((due, buffer.AsSpan(0, n).ToArray()));
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        chunks.Writer.TryComplete();
        try
        {
            await writer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }

        if (_links.TryGetValue(key, out var link))
        {
            Close(key, link, reset: false);
        }
    }

    private async Task WriteAsync(ChannelReader<(long Due, byte[] Data)> chunks, NetworkStream output)
    {
        await foreach (var (due, data) in chunks.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            var wait = due - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token).ConfigureAwait(false);
            }

            if (Mode == FaultMode.Blackhole)
            {
                continue;
            }

            await output.WriteAsync(data, _stop.Token).ConfigureAwait(false);
        }
    }

    private void Close(int key, (TcpClient Client, TcpClient Server) link, bool reset)
    {
        if (!_links.TryRemove(key, out _))
        {
            return;
        }

        foreach (var side in new[] { link.Client, link.Server })
        {
            try
            {
                if (reset)
                {
                    side.Client.LingerState = new LingerOption(true, 0);
                }

                side.Dispose();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
