namespace Tessera.Dashboard;

/// <summary>Where the operator's full scan is.</summary>
internal enum FullScanState
{
    /// <summary>None was started.</summary>
    None,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Finished; its result is the overview.</summary>
    Completed,

    /// <summary>Cancelled by an operator.</summary>
    Cancelled,

    /// <summary>Stopped by <see cref="DashboardOptions.ScanTimeout"/> or the app's shutdown.</summary>
    TimedOut,

    /// <summary>Failed (Redis unreachable or refusing); logged.</summary>
    Failed,
}
