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
/// only with <c>--values</c>: plain ones, counters and compressed ones; encrypted ones only when the
/// operator also gives the application's key ring (<c>--key-file</c>, <c>--key-stdin</c>, <c>$TESSERA_ENCRYPTION_KEYS</c> or <c>--key id:base64</c>), else they are marked as encoded.
/// </summary>
internal sealed class ShowCommand(CliEnvironment environment) : ConnectedCommand<ShowCommand.Settings>(environment)
{
    private const int MaxShown = 256;

    internal sealed class Settings : SessionIdSettings
    {
        [CommandOption("--values")]
        [Description("Also print the values: plain ones, counters and compressed ones; encrypted ones only with --key.")]
        public bool Values { get; set; }

        [CommandOption("--key <KEY>")]
        [Description("A key of the application's encryption key ring, as id:base64 (repeat for several). Used only with --values, to decrypt. Visible in argv: prefer --key-file, --key-stdin or $TESSERA_ENCRYPTION_KEYS.")]
        public string[] Keys { get; set; } = [];

        [CommandOption("--key-file <PATH>")]
        [Description("Read the key ring from a file: id:base64 entries, one a line. Used only with --values.")]
        public string? KeyFile { get; set; }

        [CommandOption("--key-stdin")]
        [Description("Read the key ring from standard input, as --key-file reads a file. Used only with --values.")]
        public bool KeyStdin { get; set; }

        /// <summary>The ring from <c>--key</c>; <see cref="ShowCommand"/> reads <c>--key-file</c>, <c>--key-stdin</c> or the environment's when it runs.</summary>
        public EncryptionOptions Encryption { get; } = new();

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            var sources = new[] { (Keys.Length > 0, "--key"), (KeyFile is not null, "--key-file"), (KeyStdin, "--key-stdin") }
                .Where(static s => s.Item1).Select(static s => s.Item2).ToList();
            if (sources.Count > 0 && !Values)
            {
                return ValidationResult.Error($"{sources[0]} decrypts values: give --values too.");
            }

            if (sources.Count > 1)
            {
                return ValidationResult.Error($"Give the key ring one way: {string.Join(" or ", sources)}, not both.");
            }

            if (KeyStdin && PasswordStdin)
            {
                return ValidationResult.Error("--password-stdin and --key-stdin both read standard input: pass the keys with --key-file or $TESSERA_ENCRYPTION_KEYS.");
            }

            if (KeyFile is { Length: 0 })
            {
                return ValidationResult.Error("--key-file needs a path.");
            }

            return Secrets.AddKeys(Keys, "--key", Encryption) is { } error ? ValidationResult.Error(error) : ValidationResult.Success();
        }
    }

    /// <summary>
    /// The key ring for decrypting: <c>--key</c>, <c>--key-file</c> or <c>--key-stdin</c>, else
    /// <c>$TESSERA_ENCRYPTION_KEYS</c>; none without <c>--values</c>.
    /// </summary>
    private EncryptionOptions KeyRing(Settings settings)
    {
        if (!settings.Values || settings.Keys.Length > 0)
        {
            return settings.Encryption;
        }

        return Secrets.ReadKeyRing(Env, settings.KeyFile, settings.KeyStdin) ?? settings.Encryption;
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        // Compressed values decode without a key; encrypted ones only with the keys given (and --values).
        var codec = settings.Values ? new ProtectedValueCodec(new CompressionOptions(), KeyRing(settings)) : null;
        var handle = await redis.Keyspace.ResolveHandleAsync(settings.Id, cancellationToken).ConfigureAwait(false);
        var details = await redis.Admin.InspectAsync(handle, codec, cancellationToken).ConfigureAwait(false);
        if (details is null)
        {
            Env.Error.MarkupLine($"[red]No session {SessionIds.TagOfHandle(handle)}[/] under prefix '{Markup.Escape(settings.Prefix)}'.");
            return ExitCodes.NotFound;
        }

        var s = details.Summary;
        var now = await redis.Keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                s.Handle,
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
                    f.ExpiresAt,
                    Value = settings.Values ? ValueText(f) : null,
                }),
            });
            return ExitCodes.Ok;
        }

        var meta = new Table().Border(TableBorder.Rounded).Title("Session").AddColumn("field").AddColumn("value");
        meta.AddRow("handle", Markup.Escape(s.Handle ?? "?"));
        meta.AddRow("key", Markup.Escape(s.Key));
        meta.AddRow("user", Output.Stored(s.UserId));
        meta.AddRow("created", $"{Output.Time(s.Created)} ({Durations.Format(s.Created is { } c ? now - c : null)} ago)");
        meta.AddRow("last access", $"{Output.Time(s.LastAccess)} ({Durations.Format(s.LastAccess is { } l ? now - l : null)} ago)");
        meta.AddRow("idle timeout", Durations.Format(s.IdleTimeout));
        meta.AddRow("absolute deadline", $"{Output.Time(s.AbsoluteDeadline)} (in {Durations.Format(s.AbsoluteDeadline is { } d ? d - now : null)})");
        meta.AddRow("ttl", s.Ttl is null ? "[red]none: never expires[/]" : Durations.Format(s.Ttl));
        meta.AddRow("size (#s)", ByteSizes.Format(s.Size));
        meta.AddRow("memory usage", s.MemoryUsage is { } m ? ByteSizes.Format(m) : "-");
        meta.AddRow("client ip", Output.Stored(details.ClientIp));
        meta.AddRow("user agent", Output.Stored(details.UserAgent));
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
                StoredValueKind.Expired => string.Create(CultureInfo.InvariantCulture, $"expired {f.ExpiresAt:u}"),
                _ when f.ExpiresAt is { } at => string.Create(CultureInfo.InvariantCulture, $"{(f.Kind == StoredValueKind.Plain ? "plain" : $"encoded (0x{f.Header:x2})")}, expires {at:u}"),
                StoredValueKind.Plain => "plain",
                StoredValueKind.Counter => "counter",
                _ => string.Create(CultureInfo.InvariantCulture, $"encoded (0x{f.Header:x2})"),
            };
            var row = new List<string> { Output.Stored(f.Key), ByteSizes.Format(f.StoredBytes), encoding };
            if (settings.Values)
            {
                row.Add(Output.Stored(ValueText(f)));
            }

            fields.AddRow([.. row]);
        }

        Env.Out.Write(fields);
        return ExitCodes.Ok;
    }

    /// <summary>A value as text: UTF-8 when it is printable, else hex; encoded values are only marked.</summary>
    private static string ValueText(SessionField field)
    {
        if (field.Kind == StoredValueKind.Expired)
        {
            return "<expired: never served; removed by the next load>";
        }

        if (field.Value is not { } value)
        {
            return string.Create(CultureInfo.InvariantCulture, $"<encoded 0x{field.Header:x2}: needs the application's key (--key id:base64)>");
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
