namespace Tessera.Demo;

/// <summary>One app instance behind the proxy: its name, its number (1-based) and the port it listens on.</summary>
public sealed class InstanceInfo
{
    private int _port;

    /// <summary>Creates the description of instance number <paramref name="number"/>.</summary>
    /// <param name="number">1-based.</param>
    public InstanceInfo(int number)
    {
        Number = number;
        Name = $"app-{number}";
    }

    /// <summary>1-based number.</summary>
    public int Number { get; }

    /// <summary>The name shown on every page it serves, for example <c>app-2</c>.</summary>
    public string Name { get; }

    /// <summary>The loopback port, once it listens.</summary>
    public int Port
    {
        get => _port;
        internal set => _port = value;
    }

    /// <summary>Its own URL (the proxy forwards to it).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Name and port, as shown on the page: <c>app-2 :41235</c>.</summary>
    public string Label => $"{Name} :{Port}";
}
