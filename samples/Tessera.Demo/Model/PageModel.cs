namespace Tessera.Demo.Model;

/// <summary>Everything the page shows.</summary>
public sealed record PageModel
{
    /// <summary>Which page this is.</summary>
    public DemoPage Page { get; init; }

    /// <summary>What the demo runs with (the device limit and policy, the step-up age).</summary>
    public required DemoSettings Settings { get; init; }

    /// <summary>Where the confirmation page sends the user back to (a local path), on <see cref="DemoPage.Confirm"/>.</summary>
    public string? ReturnUrl { get; init; }

    /// <summary>The instance that serves this response.</summary>
    public required InstanceInfo Instance { get; init; }

    /// <summary>Every instance behind the proxy.</summary>
    public required IReadOnlyList<InstanceInfo> Instances { get; init; }

    /// <summary>The session, or <see langword="null"/> when there is none.</summary>
    public SessionState? Session { get; init; }

    /// <summary>A message at the top, if any.</summary>
    public Notice? Notice { get; init; }

    /// <summary>A refused form, if any.</summary>
    public FormError? Error { get; init; }

    /// <summary>The antiforgery form field name.</summary>
    public required string AntiforgeryField { get; init; }

    /// <summary>The antiforgery request token.</summary>
    public required string AntiforgeryToken { get; init; }

    /// <summary>The Content-Security-Policy nonce of this response's inline style and script.</summary>
    public required string Nonce { get; init; }

    /// <summary>Redis server time when the page was built (for "3 s ago").</summary>
    public required DateTimeOffset Now { get; init; }
}
