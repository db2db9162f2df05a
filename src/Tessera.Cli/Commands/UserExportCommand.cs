using System.ComponentModel;
using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera user export USER --json</c>: what Tessera holds about a user (a GDPR access request):
/// the device records and each session's and login's values, decoded (<see cref="Tessera.Admin.UserData.ExportAsync"/>).
/// JSON is exact: values in base64, times in ISO 8601, sessions named by handle (never an id). Encrypted
/// values need the application's key ring (<c>--key-file</c>, <c>--key-stdin</c> or <c>$TESSERA_ENCRYPTION_KEYS</c>);
/// a session that cannot be decoded is left out, said on stderr, and the exit code is 1.
/// </summary>
internal sealed class UserExportCommand(CliEnvironment environment) : ConnectedCommand<UserExportCommand.Settings>(environment)
{
    private const int MaxShown = 80;

    internal sealed class Settings : UserSettings
    {
        [CommandOption("--key-file <PATH>")]
        [Description("Read the application's encryption key ring from a file (id:base64 entries, one a line), to decrypt values. Else $TESSERA_ENCRYPTION_KEYS.")]
        public string? KeyFile { get; set; }

        [CommandOption("--key-stdin")]
        [Description("Read the key ring from standard input, as --key-file reads a file.")]
        public bool KeyStdin { get; set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            if (KeyFile is not null && KeyStdin)
            {
                return ValidationResult.Error("Give the key ring one way: --key-file or --key-stdin, not both.");
            }

            if (KeyStdin && PasswordStdin)
            {
                return ValidationResult.Error("--password-stdin and --key-stdin both read standard input: pass the keys with --key-file or $TESSERA_ENCRYPTION_KEYS.");
            }

            return KeyFile is { Length: 0 } ? ValidationResult.Error("--key-file needs a path.") : ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        // Compressed values decode without a key; encrypted ones only with the ring given.
        var ring = Secrets.ReadKeyRing(Env, settings.KeyFile, settings.KeyStdin) ?? new EncryptionOptions();
        var store = redis.Store(new ProtectedValueCodec(new CompressionOptions(), ring));
        var export = await new Tessera.Admin.UserData(store).ExportAsync(settings.User, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            Output.Json(Env, new
            {
                export.UserId,
                export.ExportedAt,
                Devices = export.Devices.Select(static d => new
                {
                    d.Handle,
                    d.Metadata.DeviceName,
                    d.Metadata.DeviceLabel,
                    d.Metadata.SignInMethod,
                    d.Metadata.Created,
                    d.Metadata.AuthenticatedAt,
                    LastSeen = d.Metadata.LastAccess,
                    d.Metadata.ExpiresAt,
                    d.Metadata.AbsoluteDeadline,
                    FirstClientIp = d.Metadata.ClientIp,
                    FirstUserAgent = d.Metadata.UserAgent,
                    d.Metadata.LastClientIp,
                    d.Metadata.LastUserAgent,
                    d.LinkedHandles,
                }),
                Sessions = export.Sessions.Select(static s => new
                {
                    s.Handle,
                    s.Metadata.LoginHandle,
                    s.Metadata.DeviceName,
                    s.Metadata.SignInMethod,
                    s.Metadata.Created,
                    s.Metadata.AuthenticatedAt,
                    s.Metadata.LastAccess,
                    IdleTimeoutMs = (long)s.Metadata.IdleTimeout.TotalMilliseconds,
                    s.Metadata.AbsoluteDeadline,
                    s.Metadata.ExpiresAt,
                    s.Metadata.ClientIp,
                    s.Metadata.UserAgent,
                    s.Metadata.LastClientIp,
                    s.Metadata.LastUserAgent,
                    s.Metadata.Size,
                    s.Decoded,
                    s.Values,
                    s.Expiries,
                }),
            });
        }
        else
        {
            WriteTables(export);
        }

        return ReportMissing(export);
    }

    /// <summary>
    /// Every session a device lists should be in the export; one that is not could not be decoded (its
    /// values are encrypted and no key ring was given) or ended meanwhile. An incomplete export is not a success.
    /// </summary>
    private int ReportMissing(UserExport export)
    {
        // A record whose values could not be decoded is listed (Decoded false) but is not exported either.
        var exported = export.Sessions.Where(static s => s.Decoded).Select(static s => s.Handle).ToHashSet(StringComparer.Ordinal);
        var missing = export.Devices.SelectMany(static d => d.LinkedHandles.Prepend(d.Handle)).Where(h => !exported.Contains(h)).ToList();
        if (missing.Count == 0)
        {
            return ExitCodes.Ok;
        }

        Env.Error.MarkupLine(
            $"[yellow]Warning:[/] {missing.Count} session(s) of the user's devices are not in the export ({string.Join(", ", missing.Select(SessionIds.TagOfHandle))}): " +
            "they could not be decoded (encrypted values need the key ring: --key-file, --key-stdin or $TESSERA_ENCRYPTION_KEYS) or ended during the export.");
        return ExitCodes.Failed;
    }

    private void WriteTables(UserExport export)
    {
        var user = Output.Stored(export.UserId);
        var devices = new Table().Border(TableBorder.Rounded).Title($"Devices of {user}, exported {Output.Time(export.ExportedAt)}")
            .AddColumn(new TableColumn("handle").NoWrap()).AddColumn("created").AddColumn("authenticated").AddColumn("last seen")
            .AddColumn("first seen from").AddColumn("last seen from").AddColumn(new TableColumn("linked").RightAligned());
        foreach (var d in export.Devices)
        {
            var m = d.Metadata;
            devices.AddRow(
                Markup.Escape(d.Handle),
                Output.Time(m.Created),
                Output.Time(m.AuthenticatedAt),
                Output.Time(m.LastAccess),
                $"{Output.Stored(m.ClientIp)}\n{Output.Stored(Shorten(m.UserAgent ?? "-"))}",
                $"{Output.Stored(m.LastClientIp)}\n{Output.Stored(Shorten(m.LastUserAgent ?? "-"))}",
                d.LinkedHandles.Count.ToString(CultureInfo.InvariantCulture));
        }

        Env.Out.Write(devices);
        var values = new Table().Border(TableBorder.Rounded).Title($"Values of {export.Sessions.Count} session(s)")
            .AddColumn("session").AddColumn("key").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("value (--json has it exactly, in base64)");
        foreach (var s in export.Sessions)
        {
            var tag = SessionIds.TagOfHandle(s.Handle) + (s.Metadata.LoginHandle is { } login ? $" (of login {SessionIds.TagOfHandle(login)})" : string.Empty);
            foreach (var (key, value) in s.Values.OrderBy(static v => v.Key, StringComparer.Ordinal))
            {
                values.AddRow(Markup.Escape(tag), Output.Stored(key), value.Length.ToString(CultureInfo.InvariantCulture), Output.Stored(Preview(value)));
            }
        }

        Env.Out.Write(values);
        Env.Out.MarkupLine($"{export.Devices.Count} device(s), {export.Sessions.Count} session(s) exported. Use --json for the exact export.");
    }

    /// <summary>A value for a terminal: printable UTF-8 as text, else base64; cut to a line.</summary>
    private static string Preview(byte[] value)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(value);
            if (text.Any(static c => char.IsControl(c) && c is not '\n' and not '\t' and not '\r'))
            {
                text = "base64:" + Convert.ToBase64String(value);
            }
        }
        catch (DecoderFallbackException)
        {
            text = "base64:" + Convert.ToBase64String(value);
        }

        return Shorten(text);
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxShown ? line : string.Concat(line.AsSpan(0, MaxShown - 1), "…");
    }
}
