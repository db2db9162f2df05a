using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// The Blazor Server circuit's authentication state provider against a real redis-server: the principal
/// the ticket store hands out names its login, and the circuit's user turns anonymous once that login is
/// ended. (The circuit is driven directly, not through a browser: see docs/security.md.)
/// </summary>
public sealed class BlazorRevalidationTests(RedisFixture redis)
{
    [Fact]
    public async Task RevokedLogin_MakesTheCircuitsUserAnonymous_WithinTheInterval_OthersStay()
    {
        var store = redis.CreateStore();
        var tickets = new TesseraTicketStore(store);
        var alice = await tickets.RetrieveAsync(await tickets.StoreAsync(Ticket("alice")));
        var bobKey = await tickets.StoreAsync(Ticket("bob"));
        var bob = await tickets.RetrieveAsync(bobKey);
        using var aliceCircuit = Circuit(store, alice!.Principal);
        using var bobCircuit = Circuit(store, bob!.Principal);
        var aliceChanged = Changed(aliceCircuit);
        var bobChanged = Changed(bobCircuit);

        Assert.Equal(1, await store.Users.RevokeUserSessionsAsync("alice", cancellationToken: TestContext.Current.CancellationToken));
        var state = await aliceChanged.WaitAsync(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        Assert.False(state.User.Identity?.IsAuthenticated);
        await Task.Delay(TimeSpan.FromMilliseconds(600), TestContext.Current.CancellationToken);
        Assert.False(bobChanged.IsCompleted);
        Assert.True((await bobCircuit.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task RevokedOnAnotherInstance_TheCircuitIsSignedOutByTheNotice_LongBeforeItsInterval()
    {
        var prefix = redis.PrefixFor();
        var one = redis.CreateStore(o => o.KeyPrefix = prefix);
        var two = redis.CreateStore(o => o.KeyPrefix = prefix);
        var tickets = new TesseraTicketStore(one);
        var carol = await tickets.RetrieveAsync(await tickets.StoreAsync(Ticket("carol")));
        var dan = await tickets.RetrieveAsync(await tickets.StoreAsync(Ticket("dan")));

        // Circuits on instance two that would re-check only every ten minutes.
        using var carolCircuit = Circuit(two, carol!.Principal, TimeSpan.FromMinutes(10));
        using var danCircuit = Circuit(two, dan!.Principal, TimeSpan.FromMinutes(10));
        Assert.True(await two.Revocations.StartAsync());
        var carolChanged = Changed(carolCircuit);
        var danChanged = Changed(danCircuit);

        Assert.Equal(1, await one.Users.RevokeUserSessionsAsync("carol", cancellationToken: TestContext.Current.CancellationToken));
        // Minutes before the interval could: only the notice does this (the second-level latency is measured in the Timing category and in Chromium).
        var state = await carolChanged.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(state.User.Identity?.IsAuthenticated);

        // A notice that names another login costs dan's circuit nothing; a forged one naming dan costs one check, not his login.
        await redis.Multiplexer.GetSubscriber().PublishAsync(StackExchange.Redis.RedisChannel.Literal(prefix + "revocations"), $"t1|0123456789abcdef|2||{SessionIds.Handle(SessionIds.NewId())}");
        await redis.Multiplexer.GetSubscriber().PublishAsync(StackExchange.Redis.RedisChannel.Literal(prefix + "revocations"), $"t1|0123456789abcdef|2||{dan.Principal.FindFirst(TesseraClaims.Login)!.Value}");
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.False(danChanged.IsCompleted);
        Assert.True((await danCircuit.GetAuthenticationStateAsync()).User.Identity?.IsAuthenticated);
    }

    [Fact]
    public async Task LoginClaim_IsNeverStored_AndAPlantedOneIsReplaced()
    {
        var store = redis.CreateStore();
        var tickets = new TesseraTicketStore(store);

        // A provider (or anyone who shapes the sign-in's claims) plants another login's handle.
        var victimKey = await tickets.StoreAsync(Ticket("victim"));
        var planted = Ticket("mallory");
        ((ClaimsIdentity)planted.Principal.Identity!).AddClaim(new Claim(TesseraClaims.Login, SessionIds.Handle(victimKey), ClaimValueTypes.String, TesseraClaims.Issuer));
        var key = await tickets.StoreAsync(planted);

        var stored = (await store.LoadAsync(key, TestContext.Current.CancellationToken)).Record!.Values["ticket"];
        Assert.DoesNotContain(TesseraClaims.Login, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        var retrieved = await tickets.RetrieveAsync(key);
        Assert.Equal(SessionIds.Handle(key), Assert.Single(retrieved!.Principal.FindAll(TesseraClaims.Login)).Value);

        // Renewing the retrieved ticket (sliding expiration) does not store the claim either.
        await tickets.RenewAsync(key, retrieved);
        stored = (await store.LoadAsync(key, TestContext.Current.CancellationToken)).Record!.Values["ticket"];
        Assert.DoesNotContain(TesseraClaims.Login, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public void AddTesseraBlazorRevalidation_IsTheCircuitsProvider()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddTessera(o => o.Configuration = redis.Endpoint);
        services.AddTesseraBlazorRevalidation(o => o.Interval = TimeSpan.FromMilliseconds(500));
        using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();
        Assert.IsType<TesseraRevalidatingAuthenticationStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
    }

    private static AuthenticationTicket Ticket(string user)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], "Cookies");
        var now = DateTimeOffset.UtcNow;
        return new AuthenticationTicket(new ClaimsPrincipal(identity), new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) }, "Cookies");
    }

    private static TesseraRevalidatingAuthenticationStateProvider Circuit(RedisSessionStore store, ClaimsPrincipal user, TimeSpan? interval = null)
    {
        var circuit = new TesseraRevalidatingAuthenticationStateProvider(store, Options.Create(new TesseraRevalidationOptions { Interval = interval ?? TimeSpan.FromMilliseconds(200) }), NullLoggerFactory.Instance);
        circuit.SetAuthenticationState(Task.FromResult(new AuthenticationState(user)));
        return circuit;
    }

    private static Task<AuthenticationState> Changed(AuthenticationStateProvider circuit)
    {
        var changed = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        circuit.AuthenticationStateChanged += async task => changed.TrySetResult(await task);
        return changed.Task;
    }
}
