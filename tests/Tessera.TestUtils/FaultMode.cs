namespace Tessera.TestUtils;

/// <summary>What a <see cref="FaultProxy"/> does with the traffic it carries.</summary>
public enum FaultMode
{
    /// <summary>Forwards every byte, after <see cref="FaultProxy.Latency"/> each way.</summary>
    Pass = 0,

    /// <summary>Accepts connections and delivers nothing, in either direction, holding every byte until the mode changes (a network partition: TCP delivers what it held once it heals).</summary>
    Blackhole = 1,

    /// <summary>Resets every connection, now and as they arrive.</summary>
    Reset = 2,
}
