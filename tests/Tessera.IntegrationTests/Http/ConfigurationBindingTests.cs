using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// The ways a team configures Tessera: an appsettings.json section, <c>Configure&lt;TesseraOptions&gt;()</c>,
/// a connection string by name, and a multiplexer already in DI (as .NET Aspire registers one), against
/// a real redis-server; and the start-up errors for bad values, naming the setting by its path.
/// </summary>
public sealed class ConfigurationBindingTests(RedisFixture redis)
{
    [Fact]
    public async Task AppSettingsSection_WithConnectionStringName_StoresSessionsAsConfigured()
    {
        var prefix = redis.PrefixFor();
        await using var app = await StartAsync(
            $$"""
            {
              "ConnectionStrings": { "sessions": "{{redis.Endpoint}}" },
              "Tessera": {
                "ConnectionStringName": "sessions",
                "KeyPrefix": "{{prefix}}",
                "IdleTimeout": "00:07:00",
                "Cookie": { "Name": "app-sid" }
              }
            }
            """,
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera")));
        using var client = CreateClient(app);

        Assert.Equal("set", (await client.PostTextAsync("/set?k=name&v=ada")).Body);
        var id = client.Cookie("app-sid");
        Assert.NotNull(id);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/get?k=name"));

        var ttl = await redis.Db.KeyTimeToLiveAsync(prefix + SessionIds.Handle(id!));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7));
    }

    [Fact]
    public async Task CodeAfterSection_Wins()
    {
        var prefix = redis.PrefixFor();
        await using var app = await StartAsync(
            $$"""{ "Tessera": { "Configuration": "{{redis.Endpoint}}", "KeyPrefix": "from-json:" } }""",
            (services, configuration) => services.AddTessera(configuration.GetSection("Tessera"), o => o.KeyPrefix = prefix));
        using var client = CreateClient(app);

        await client.PostTextAsync("/set?k=a&v=1");

        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(client.Cookie(TesseraSessionOptions.DefaultCookieName)!)));
    }

    [Fact]
    public async Task ConfigureTesseraOptions_IsHonoured()
    {
        var prefix = redis.PrefixFor();
        await using var app = await StartAsync("{}", (services, _) =>
        {
            services.Configure<TesseraOptions>(o =>
            {
                o.Configuration = redis.Endpoint;
                o.KeyPrefix = prefix;
                o.IdleTimeout = TimeSpan.FromMinutes(3);
            });
            services.AddTessera();
        });
        using var client = CreateClient(app);

        await client.PostTextAsync("/set?k=a&v=1");

        var key = prefix + SessionIds.Handle(client.Cookie(TesseraSessionOptions.DefaultCookieName)!);
        var ttl = await redis.Db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3));
        Assert.Equal(prefix, app.Services.GetRequiredService<RedisSessionStore>().Options.KeyPrefix);
    }

    [Fact]
    public async Task ConfigureTesseraOptions_FromASection_IsHonoured()
    {
        var prefix = redis.PrefixFor();
        await using var app = await StartAsync(
            $$"""{ "Sessions": { "Configuration": "{{redis.Endpoint}}", "KeyPrefix": "{{prefix}}" } }""",
            static (services, configuration) => services.Configure<TesseraOptions>(configuration.GetSection("Sessions")).AddTessera());
        using var client = CreateClient(app);

        await client.PostTextAsync("/set?k=a&v=1");

        Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(client.Cookie(TesseraSessionOptions.DefaultCookieName)!)));
    }

    [Fact]
    public async Task RegisteredMultiplexer_IsReused()
    {
        var prefix = redis.PrefixFor();
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        await using (multiplexer)
        {
            await using var app = await StartAsync(
                $$"""{ "Tessera": { "KeyPrefix": "{{prefix}}" } }""",
                (services, configuration) => services
                    .AddSingleton<IConnectionMultiplexer>(multiplexer)
                    .AddTessera(configuration.GetSection("Tessera")));
            using var client = CreateClient(app);

            await client.PostTextAsync("/set?k=a&v=1");
            Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));

            Assert.Same(multiplexer, app.Services.GetRequiredService<TesseraConnection>().Multiplexer);
            Assert.True(await redis.Db.KeyExistsAsync(prefix + SessionIds.Handle(client.Cookie(TesseraSessionOptions.DefaultCookieName)!)));

            // The multiplexer is the app's: stopping the app does not dispose it.
            await app.StopAsync();
            await app.DisposeAsync();
            Assert.True(await multiplexer.GetDatabase().PingAsync() >= TimeSpan.Zero);
        }

    }

    [Fact]
    public async Task EncryptionKeysFromConfiguration_EncryptAtRest()
    {
        var prefix = redis.PrefixFor();
        var key = EncryptionOptions.NewKey();
        await using var app = await StartAsync(
            $$"""
            {
              "Tessera": {
                "Configuration": "{{redis.Endpoint}}",
                "KeyPrefix": "{{prefix}}",
                "Encryption": { "ActiveKeyId": 2, "Keys": [ { "Id": 2, "Key": "{{key}}" } ] }
              }
            }
            """,
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera")));
        using var client = CreateClient(app);

        await client.PostTextAsync("/set?k=card&v=4111-1111-1111-1111");
        Assert.Equal((HttpStatusCode.OK, "4111-1111-1111-1111"), await client.GetTextAsync("/get?k=card"));

        var stored = (byte[]?)await redis.Db.HashGetAsync(prefix + SessionIds.Handle(client.Cookie(TesseraSessionOptions.DefaultCookieName)!), "card");
        Assert.NotNull(stored);
        Assert.DoesNotContain("4111", Encoding.Latin1.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxSessionFieldsInSection_LimitsTheValuesOfASession()
    {
        await using var app = await StartAsync(
            $$"""{ "Tessera": { "Configuration": "{{redis.Endpoint}}", "KeyPrefix": "{{redis.PrefixFor()}}", "MaxSessionFields": 2 } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera")));
        using var client = CreateClient(app);

        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=a&v=1"));
        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=b&v=2"));
        var (status, body) = await client.PostTextAsync("/set?k=c&v=3");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("MaxSessionFields (2)", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=c")).Status);
    }

    [Fact]
    public async Task NearCacheInSection_TurnsItOn_AndRepeatedReadsAreKept()
    {
        await using var app = await StartAsync(
            $$"""{ "Tessera": { "Configuration": "{{redis.Endpoint}}", "KeyPrefix": "{{redis.PrefixFor()}}", "NearCache": { "Enabled": true, "MaxEntries": 50 } } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera")));
        var store = app.Services.GetRequiredService<RedisSessionStore>();
        Assert.Equal(50, store.Options.NearCache.MaxEntries);
        Assert.True(await store.NearCache.StartAsync(TimeSpan.FromSeconds(10)), $"the near cache is active ({store.NearCache.State})");
        using var client = CreateClient(app);

        Assert.Equal((HttpStatusCode.OK, "set"), await client.PostTextAsync("/set?k=a&v=1"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));
        Assert.Equal((HttpStatusCode.OK, "1"), await client.GetTextAsync("/get?k=a"));
        Assert.True(store.NearCache.Count > 0);
    }

    [Theory]
    [InlineData("\"IdleTimeout\": \"00:00:00\"", "Tessera:IdleTimeout")]
    [InlineData("\"IdleTimeout\": \"00:30:00\", \"AbsoluteTimeout\": \"00:10:00\"", "Tessera:AbsoluteTimeout")]
    [InlineData("\"KeyPrefix\": \"{all}:\"", "Tessera:KeyPrefix")]
    [InlineData("\"RenewalInterval\": \"13:00:00\"", "Tessera:RenewalInterval")]
    [InlineData("\"RenewalInterval\": \"00:00:10\"", "Tessera:RenewalInterval")]
    [InlineData("\"RenewalInterval\": \"-00:05:00\"", "Tessera:RenewalInterval")]
    [InlineData("\"OperationTimeout\": \"01:00:00\"", "Tessera:OperationTimeout")]
    [InlineData("\"MaxSessionFields\": -1", "Tessera:MaxSessionFields")]
    [InlineData("\"Cookie\": { \"Name\": \"bad name\" }", "Tessera:Cookie:Name")]
    [InlineData("\"Compression\": { \"ThresholdBytes\": 1 }", "Tessera:Compression:ThresholdBytes")]
    [InlineData("\"Lock\": { \"FailureStatusCode\": 418 }", "Tessera:Lock:FailureStatusCode")]
    [InlineData("\"NewDevices\": { \"Enabled\": true, \"RememberFor\": \"500.00:00:00\" }", "Tessera:NewDevices:RememberFor")]
    [InlineData("\"CircuitBreaker\": { \"ProbeInterval\": \"00:00:00.010\" }", "Tessera:CircuitBreaker:ProbeInterval")]
    [InlineData("\"NearCache\": { \"Enabled\": true, \"MaxEntries\": 0 }", "Tessera:NearCache:MaxEntries")]
    [InlineData("\"NearCache\": { \"Enabled\": true, \"MaxAge\": \"00:00:00.001\" }", "Tessera:NearCache:MaxAge")]
    [InlineData("\"IdTransport\": \"Header\", \"HeaderName\": \"Cookie\"", "Tessera:HeaderName")]
    [InlineData("\"IdTransport\": \"Both\", \"HeaderName\": \"bad name\"", "Tessera:HeaderName")]
    [InlineData("\"IdTransport\": \"Header\", \"StockSessionMigration\": { \"Enabled\": true, \"CookieName\": \".AspNetCore.Session\" }", "Tessera:StockSessionMigration:Enabled")]
    [InlineData("\"Encryption\": { \"ActiveKeyId\": 1, \"Keys\": [ { \"Id\": 1, \"Key\": \"short\" } ] }", "Tessera:Encryption")]
    public async Task BadValueInSection_StopsStartup_NamingTheSetting(string json, string setting)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(
            $$"""{ "Tessera": { "Configuration": "{{redis.Endpoint}}", {{json}} } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera"))));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnparsableValue_StopsStartup_NamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(
            $$"""{ "Tessera": { "Configuration": "{{redis.Endpoint}}", "IdleTimeout": "twenty minutes" } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera"))));

        Assert.Contains("Tessera:IdleTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConnectionString_StopsStartup_SayingWhereToPutIt()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(
            """{ "Tessera": { "ConnectionStringName": "redis" } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera"))));

        Assert.Contains("Tessera:ConnectionStringName", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:redis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoRedisAnywhere_StopsStartup_ListingTheWays()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(
            """{ "Tessera": { "IdleTimeout": "00:10:00" } }""",
            static (services, configuration) => services.AddTessera(configuration.GetSection("Tessera"))));

        Assert.Contains("Tessera:Configuration", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStringName", error.Message, StringComparison.Ordinal);
        Assert.Contains("IConnectionMultiplexer", error.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(string appsettings, Action<IServiceCollection, IConfiguration> register)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(appsettings)));
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        register(builder.Services, builder.Configuration);
        var app = builder.Build();
        app.UseTessera();
        app.MapGet("/get", (HttpContext ctx, string k) => ctx.Session.GetString(k) is { } v ? Results.Text(v) : Results.NotFound());
        app.MapPost("/set", (HttpContext ctx, string k, string v) =>
        {
            ctx.Session.SetString(k, v);
            return Results.Text("set");
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    private static CookieClient CreateClient(WebApplication app) => new(app.GetTestServer().CreateHandler(), new Uri("https://localhost/"));
}
