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
            _ => o => o.RefreshGranularity = TimeSpan.FromHours(2),
        };
        var errors = Errors(change);
        Assert.Contains(errors, e => e.Contains(name, StringComparison.Ordinal));
    }
}
