using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Access tokens against the simulated token endpoint (expires_in as a string, as the real server sends it).</summary>
public sealed class AccessTokenTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private SimApp App => _harness.Simulator.App(AdapterHarness.AppId);

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task GetAsync_ExpiresInString_FetchedOnceWithCredentialsAndCached()
    {
        await _harness.StartBotAsync();
        var tokens = _harness.Bot().Tokens;

        var first = await tokens.GetAsync(CancellationToken.None);
        var second = await tokens.GetAsync(CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1, tokens.FetchCount);
        var request = Assert.Single(_harness.Simulator.Requests, r => r.Path == "/app/getAppAccessToken");
        Assert.Equal(AdapterHarness.AppId, request.Field("appId"));
        Assert.Equal(AdapterHarness.Secret, request.Field("clientSecret"));
        Assert.InRange(tokens.ExpiresAt!.Value - _harness.Time.GetUtcNow(), TimeSpan.FromSeconds(7100), TimeSpan.FromSeconds(7200));
    }

    [Fact]
    public async Task GetAsync_InTheLastMinute_RefreshesAheadOfExpiry()
    {
        await _harness.StartBotAsync();
        var tokens = _harness.Bot().Tokens;
        var first = await tokens.GetAsync(CancellationToken.None);

        // Move the adapter's clock into the token's final minute; the simulator, on real time, still has the old token
        // valid, so make it issue a new one as the platform does in that window.
        _harness.Time.Advance(TimeSpan.FromSeconds(7200 - 30));
        App.ExpireTokens();
        var second = await tokens.GetAsync(CancellationToken.None);

        Assert.NotEqual(first, second);
        Assert.Equal(2, tokens.FetchCount);
    }

    [Fact]
    public async Task CallAsync_TokenExpiredOnServer_RefetchesAndRetriesOnce()
    {
        await _harness.StartBotAsync();
        var before = App.TokenRequests;

        App.ExpireTokens();
        var info = await _harness.Adapter.CallPlatformApiAsync(new CallPlatformApiParams("qq1", "getGatewayInfo", default), CancellationToken.None);

        Assert.Equal(_harness.Simulator.GatewayUrl, info.GetProperty("url").GetString());
        Assert.Equal(before + 1, App.TokenRequests);
        var calls = _harness.Simulator.Requests.Where(r => r.Path == "/gateway/bot").ToList();
        Assert.Equal(401, calls[^2].Status);
        Assert.Equal(200, calls[^1].Status);
    }

    [Fact]
    public async Task RefreshToken_PlatformAction_FetchesAndReturnsOnlyTheExpiry()
    {
        await _harness.StartBotAsync();

        var result = await _harness.Adapter.CallPlatformApiAsync(new CallPlatformApiParams("qq1", "refreshToken", default), CancellationToken.None);

        Assert.True(result.TryGetProperty("expiresAt", out _));
        Assert.DoesNotContain("tok-", result.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(2, _harness.Bot().Tokens.FetchCount);
    }

    [Fact]
    public async Task StartAsync_WrongSecret_FailsAsAuthenticationErrorWithoutTheSecret()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.StartBotAsync(secret: "wrong-secret-value"));

        Assert.Equal(PlugboardErrorCodes.PlatformError, error.Code);
        Assert.Contains("appId and clientSecret", error.Message, StringComparison.Ordinal);
        Assert.Contains("100016", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-value", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-value", _harness.Loggers.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_WholeSession_NeverContainSecretOrToken()
    {
        await _harness.StartBotAsync(extra: new JsonObject { ["proxy"] = null });
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("hello"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the message");
        App.ExpireTokens();
        await App.CloseAsync(4004, "authentication fail");
        await QQSimulator.WaitUntilAsync(() => App.IsConnected && App.TokenRequests >= 2, "reconnection with a new token");
        await _harness.Adapter.StopAsync("qq1");

        var logs = _harness.Loggers.AllText;
        Assert.NotEmpty(logs);
        Assert.DoesNotContain(AdapterHarness.Secret, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-", logs, StringComparison.Ordinal);
        Assert.Contains("[QQBot:102056411]", logs, StringComparison.Ordinal);
    }
}
