using System.ComponentModel;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera show ID</c>: one session's metadata and its value names with sizes. Values are printed
/// only with <c>--values</c>, and only the plain ones and counters: compressed or encrypted values are
/// marked as encoded (they need the application's key, which this tool does not have yet).
/// </summary>
internal sealed class ShowCommand(CliEnvironment environment) : ConnectedCommand<ShowCommand.Settings>(environment)
{
    private const int MaxShown = 256;

    internal sealed class Settings : ConnectionSettings
    {
        [CommandArgument(0, "<ID>")]
        [Description("The session id (43 characters, as list prints it; id:-... for one that starts with '-', which tessera also does for you).")]
        public string Id { get; set; } = string.Empty;

        [CommandOption("--values")]
        [Description("Also print the values (plain ones and counters; encoded ones are only marked).")]
        public bool Values { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            Id = SessionIdArgument.Normalize(Id);
            return SessionIds.IsValid(Id)
                ? ValidationResult.Success()
                : ValidationResult.Error("<ID> is not a session id (43 base64url characters).");
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        var details = await redis.Admin.InspectAsync(settings.Id, codec: null, cancellationToken).ConfigureAwait(false);
        if (details is null)
        {
            Env.Error.MarkupLine($"[red]No session {SessionIds.LogTag(settings.Id)}[/] (tag of the id given) under prefix '{Markup.Escape(settings.Prefix)}'.");
            return ExitCodes.NotFound;
        }

        var s = details.Summary;
        var now = await redis.Keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                s.Id,
                s.Key,
                s.UserId,
                s.Created,
                s.LastAccess,
                IdleTimeoutMs = s.IdleTimeout is { } i ? (long?)i.TotalMilliseconds : null,
                s.AbsoluteDeadline,
                TtlMs = s.Ttl is { } t ? (long?)t.TotalMilliseconds : null,
                s.Size,
                s.MemoryUsage,
                details.ClientIp,
                details.UserAgent,
                Fields = details.Fields.Select(f => new
                {
                    f.Key,
                    f.StoredBytes,
                    f.Kind,
                    Header = f.Header,
                    Value = settings.Values ? ValueText(f) : null,
                }),
            });
            return ExitCodes.Ok;
        }

        var meta = new Table().Border(TableBorder.Rounded).Title("Session").AddColumn("field").AddColumn("value");
        meta.AddRow("id", Markup.Escape(s.Id ?? "?"));
        meta.AddRow("key", Markup.Escape(s.Key));
        meta.AddRow("user", Markup.Escape(s.UserId ?? "-"));
        meta.AddRow("created", $"{Output.Time(s.Created)} ({Durations.Format(s.Created is { } c ? now - c : null)} ago)");
        meta.AddRow("last access", $"{Output.Time(s.LastAccess)} ({Durations.Format(s.LastAccess is { } l ? now - l : null)} ago)");
        meta.AddRow("idle timeout", Durations.Format(s.IdleTimeout));
        meta.AddRow("absolute deadline", $"{Output.Time(s.AbsoluteDeadline)} (in {Durations.Format(s.AbsoluteDeadline is { } d ? d - now : null)})");
        meta.AddRow("ttl", s.Ttl is null ? "[red]none: never expires[/]" : Durations.Format(s.Ttl));
        meta.AddRow("size (#s)", ByteSizes.Format(s.Size));
        meta.AddRow("memory usage", s.MemoryUsage is { } m ? ByteSizes.Format(m) : "-");
        meta.AddRow("client ip", Markup.Escape(details.ClientIp ?? "-"));
        meta.AddRow("user agent", Markup.Escape(details.UserAgent ?? "-"));
        Env.Out.Write(meta);

        var fields = new Table().Border(TableBorder.Rounded).Title($"Values ({details.Fields.Count})")
            .AddColumn("key").AddColumn(new TableColumn("stored").RightAligned()).AddColumn("encoding");
        if (settings.Values)
        {
            fields.AddColumn("value");
        }

        foreach (var f in details.Fields)
        {
            var encoding = f.Kind switch
            {
                StoredValueKind.Plain => "plain",
                StoredValueKind.Counter => "counter",
                _ => string.Create(CultureInfo.InvariantCulture, $"encoded (0x{f.Header:x2})"),
            };
            var row = new List<string> { Markup.Escape(f.Key), ByteSizes.Format(f.StoredBytes), encoding };
            if (settings.Values)
            {
                row.Add(Markup.Escape(ValueText(f)));
            }

            fields.AddRow([.. row]);
        }

        Env.Out.Write(fields);
        return ExitCodes.Ok;
    }

    /// <summary>A value as text: UTF-8 when it is printable, else hex; encoded values are only marked.</summary>
    private static string ValueText(SessionField field)
    {
        if (field.Value is not { } value)
        {
            return string.Create(CultureInfo.InvariantCulture, $"<encoded 0x{field.Header:x2}: needs the application's key>");
        }

        var span = value.Span;
        var shown = span[..Math.Min(span.Length, MaxShown)];
        var more = span.Length > MaxShown ? string.Create(CultureInfo.InvariantCulture, $"... ({span.Length} bytes)") : string.Empty;
        try
        {
            var text = new UTF8Encoding(false, true).GetString(shown);
            if (!text.Any(static c => char.IsControl(c) && c is not '\n' and not '\t' and not '\r'))
            {
                return text + more;
            }
        }
        catch (DecoderFallbackException)
        {
            // Not UTF-8 (or cut inside a character): hex below.
        }

        return "hex:" + Convert.ToHexStringLower(shown) + more;
    }
}
