using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>Reading the write scripts' replies: the status (<see cref="ScriptStatus"/>) and, for a refusal, the limit.</summary>
public sealed partial class RedisSessionStore
{
    private CommitStatus ParseWriteStatus(string id, RedisResult reply, out string? rotatedTo, out long size, out SessionSizeLimit exceeded)
    {
        var parts = (RedisResult[])reply!;
        var code = (ScriptStatus)(int)parts[0];
        rotatedTo = code == ScriptStatus.Rotated ? (string?)parts[1] : null;
        size = code is ScriptStatus.Ok ? (long)parts[2] : 0;
        exceeded = LimitOf(code);
        return StatusOf(id, (int)code);
    }

    /// <summary>The limit a script's refusal names: both come back as <see cref="CommitStatus.TooLarge"/>.</summary>
    private static SessionSizeLimit LimitOf(ScriptStatus code) => code switch
    {
        ScriptStatus.TooLarge => SessionSizeLimit.Bytes,
        ScriptStatus.TooManyFields => SessionSizeLimit.Fields,
        _ => SessionSizeLimit.None,
    };

    private CommitStatus StatusOf(string id, int code)
    {
        switch ((ScriptStatus)code)
        {
            case ScriptStatus.Ok: return CommitStatus.Committed;
            case ScriptStatus.NotFound: case ScriptStatus.Expired: return CommitStatus.Gone;
            case ScriptStatus.Rotated: return CommitStatus.Rotated;
            case ScriptStatus.TooLarge: case ScriptStatus.TooManyFields: return CommitStatus.TooLarge;
            case ScriptStatus.Conflict: return CommitStatus.Conflict;
            default:
                ReportCorrupt(id, "the key is not a Tessera session hash");
                return CommitStatus.Corrupt;
        }
    }
}
