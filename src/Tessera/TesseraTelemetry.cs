using System.Diagnostics;
using StackExchange.Redis;

namespace Tessera;

/// <summary>
/// Tessera's traces: the <c>ActivitySource("Tessera")</c>. Every Redis script call is a client span
/// named after its operation (<c>tessera.load</c>, <c>tessera.commit</c>, <c>tessera.incr</c>, ...)
/// with the database semantic conventions (<c>db.system.name = redis</c>, <c>db.operation.name</c>);
/// rotation and revocation are internal spans around their calls. Add the source with
/// <c>.AddSource(TesseraTelemetry.ActivitySourceName)</c>.
/// </summary>
public static class TesseraTelemetry
{
    /// <summary>The activity source name, the same as the meter's: <c>Tessera</c>.</summary>
    public const string ActivitySourceName = "Tessera";

    /// <summary>The tag naming Tessera's operation: <c>tessera.operation</c>.</summary>
    public const string OperationTag = "tessera.operation";

    /// <summary>The tag with the outcome: <c>tessera.outcome</c>, <c>ok</c> or <c>error</c>.</summary>
    public const string OutcomeTag = "tessera.outcome";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(TesseraTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the client span of one Redis call, when anyone listens.</summary>
    internal static Activity? StartCall(string operation, string command = "EVALSHA")
    {
        var activity = Source.StartActivity(SpanName(operation), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", command);
            activity.SetTag(OperationTag, operation);
            activity.SetTag("db.query.summary", command + " " + operation);
        }

        return activity;
    }

    /// <summary>Names the command of the current call's span, when the call chose it on its way (a load: a script on a standalone server, <c>HGETALL</c> on a Cluster).</summary>
    internal static void NameCommand(string command)
    {
        if (Activity.Current is { Kind: ActivityKind.Client, IsAllDataRequested: true } activity && ReferenceEquals(activity.Source, Source))
        {
            activity.SetTag("db.operation.name", command);
            activity.SetTag("db.query.summary", command + " " + activity.GetTagItem(OperationTag));
        }
    }

    /// <summary>Starts an internal span around a multi-step operation (rotation, revocation).</summary>
    internal static Activity? StartOperation(string operation)
    {
        var activity = Source.StartActivity(SpanName(operation), ActivityKind.Internal);
        activity?.SetTag(OperationTag, operation);
        return activity;
    }

    /// <summary>Marks a span as failed with the conventional <c>error.type</c>.</summary>
    internal static void Fail(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity.SetTag("error.type", Redis.RedisFailures.ErrorType(exception));
        activity.SetTag(OutcomeTag, "error");
    }

    private static string SpanName(string operation) => "tessera." + operation.Replace(' ', '_');
}
