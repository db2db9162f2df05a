namespace Tessera.Tests;

public sealed class TesseraOptionsValidatorTests
{
    private static string[] Errors(Action<TesseraOptions> change)
    {
        var options = new TesseraOptions { Configuration = "localhost:6379" };
        change(options);
        var result = new TesseraOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures.ToArray() : [];
    }

    [Fact]
    public void Defaults_AreValid() => Assert.Empty(Errors(_ => { }));

    [Theory]
    [InlineData("IdleTimeout")]
    [InlineData("AbsoluteTimeout")]
    [InlineData("KeyPrefix")]
    [InlineData("OperationTimeout")]
    [InlineData("MaxSessionBytes")]
    [InlineData("MaxSessionFields")]
    [InlineData("RefreshGranularity")]
    [InlineData("RenewalInterval")]
    public void BadValue_IsReported_ByName(string name)
    {
        Action<TesseraOptions> change = name switch
        {
            "IdleTimeout" => o => o.IdleTimeout = TimeSpan.FromMilliseconds(10),
            "AbsoluteTimeout" => o => o.AbsoluteTimeout = TimeSpan.FromMinutes(1),
            "KeyPrefix" => o => o.KeyPrefix = "sess{x}:",
            "OperationTimeout" => o => o.OperationTimeout = TimeSpan.FromHours(1),
            "MaxSessionBytes" => o => o.MaxSessionBytes = -1,
            "MaxSessionFields" => o => o.MaxSessionFields = -1,
            "RenewalInterval" => o => o.RenewalInterval = TimeSpan.Zero,
            _ => o => o.RefreshGranularity = TimeSpan.FromHours(2),
        };
        var errors = Errors(change);
        Assert.Contains(errors, e => e.Contains(name, StringComparison.Ordinal));
    }

    [Fact]
    public void RenewalInterval_WithinTheLimits_IsValid() =>
        Assert.Empty(Errors(o => o.RenewalInterval = TimeSpan.FromMinutes(15)));

    [Fact]
    public void RenewalInterval_NotShorterThanTheAbsoluteTimeout_SaysWhy()
    {
        var errors = Errors(o =>
        {
            o.AbsoluteTimeout = TimeSpan.FromHours(1);
            o.RenewalInterval = TimeSpan.FromHours(1);
        });
        var error = Assert.Single(errors);
        Assert.Contains("RenewalInterval (01:00:00) must be shorter than AbsoluteTimeout (01:00:00)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RenewalInterval_NotLongerThanTheRotationGracePeriod_SaysWhy()
    {
        var error = Assert.Single(Errors(o => o.RenewalInterval = TimeSpan.FromSeconds(30)));
        Assert.Contains("RenewalInterval (00:00:30) must be longer than RotationGracePeriod (00:00:30)", error, StringComparison.Ordinal);
    }
}
