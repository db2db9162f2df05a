namespace Tessera.Admin;

/// <summary>How serious a <see cref="DoctorFinding"/> is, from harmless to must-fix.</summary>
public enum FindingSeverity
{
    /// <summary>Checked and fine.</summary>
    Ok,

    /// <summary>Worth knowing; nothing to fix.</summary>
    Info,

    /// <summary>Works today, but may lose sessions or fail under some conditions.</summary>
    Warning,

    /// <summary>Loses sessions, exposes them, or stops working: fix it.</summary>
    Error,
}
