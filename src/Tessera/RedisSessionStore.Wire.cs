using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>
/// The write scripts' wire format: the arguments of a commit (in the order <see cref="LuaScripts.Commit"/>
/// reads them) and the replies: the status (<see cref="ScriptStatus"/>) and, for a refusal, the limit.
/// </summary>
public sealed partial class RedisSessionStore
{
    private RedisValue[] BuildCommitArgs(string handle, SessionChanges changes, SessionWrite? write)
    {
        var sets = new List<RedisValue>(2 * changes.Count + 8);
        var removes = new List<RedisValue>();
        AddMetadata(sets, write, includeTimeouts: true);
        foreach (var (key, value) in changes.Entries)
        {
            var field = SessionLayout.ToField(key);
            if (value is null)
            {
                removes.Add(field);
            }
            else
            {
                sets.Add(field);
                sets.Add(changes.IsCounter(key) ? value : _codec.Encode(handle, field, value));
            }
        }

        var args = new RedisValue[4 + sets.Count + removes.Count];
        args[0] = changes.Cleared ? 1 : 0;
        args[1] = _maxBytes;
        args[2] = _maxFields;
        args[3] = sets.Count / 2;
        sets.CopyTo(args, 4);
        removes.CopyTo(args, 4 + sets.Count);
        return args;
    }

    private static void AddMetadata(List<RedisValue> args, SessionWrite? write, bool includeTimeouts)
    {
        if (write is null)
        {
            return;
        }

        if (includeTimeouts && write.IdleTimeout is { } idle)
        {
            args.Add(SessionLayout.IdleMs);
            args.Add((long)idle.TotalMilliseconds);
        }

        if (includeTimeouts && write.Created is { } created)
        {
            args.Add(SessionLayout.Created);
            args.Add(created.ToUnixTimeMilliseconds());
        }

        if (includeTimeouts && write.AbsoluteDeadline is { } deadline)
        {
            args.Add(SessionLayout.Deadline);
            args.Add(deadline.ToUnixTimeMilliseconds());
        }

        AddIfSet(args, SessionLayout.User, write.UserId);
        AddIfSet(args, SessionLayout.ClientIp, write.ClientIp);
        AddIfSet(args, SessionLayout.UserAgent, write.UserAgent);
        AddIfSet(args, SessionLayout.Login, write.LoginHandle);
        if (write.AuthenticatedAt is { } authenticated)
        {
            args.Add(SessionLayout.AuthenticatedAt);
            args.Add(authenticated == DateTimeOffset.MinValue ? SessionLayout.Now : authenticated.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        static void AddIfSet(List<RedisValue> args, string field, string? value)
        {
            if (value is not null)
            {
                args.Add(field);
                args.Add(value);
            }
        }
    }

    /// <summary>For the benchmarks: encodes a commit's arguments.</summary>
    internal RedisValue[] BuildCommitArgsForBenchmark(string id, SessionChanges changes) => BuildCommitArgs(SessionIds.Handle(id), changes, null);

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
