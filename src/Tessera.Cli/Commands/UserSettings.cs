using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Tessera.Cli.Commands;

/// <summary>The settings of a command about one user: the connection and a user id argument, checked before Redis is asked.</summary>
internal class UserSettings : ConnectionSettings
{
    /// <summary>The longest user id the store accepts.</summary>
    public const int MaxUserLength = Tessera.Internal.SessionLayout.MaxUserIdLength;

    [CommandArgument(0, "<USER>")]
    [Description("The user id the application bound the sessions to (for a cookie login: the NameIdentifier claim, issuer|value when not issued locally).")]
    public string User { get; set; } = string.Empty;

    public override ValidationResult Validate()
    {
        var result = base.Validate();
        if (!result.Successful)
        {
            return result;
        }

        if (User.Length is 0 or > MaxUserLength)
        {
            return ValidationResult.Error($"<USER> must be 1 to {MaxUserLength} characters; this one has {User.Length}.");
        }

        return User.Any(char.IsControl)
            ? ValidationResult.Error("<USER> must not contain control characters (no user id has them: the store refuses them).")
            : ValidationResult.Success();
    }
}
