using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>The settings of a command about one session: the connection and a session id argument, checked before Redis is asked.</summary>
internal class SessionIdSettings : ConnectionSettings
{
    [CommandArgument(0, "<HANDLE>")]
    [Description("The session's handle (43 characters, as list and user sessions print it) or its full id (hashed here, never sent to Redis); id:-... for one that starts with '-', which tessera also does for you.")]
    public string Id { get; set; } = string.Empty;

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
            : ValidationResult.Error("<HANDLE> is not a session handle or id (43 base64url characters).");
    }
}
