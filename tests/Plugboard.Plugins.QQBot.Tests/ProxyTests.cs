using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Gateway;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>REST and the gateway through a real (loopback) HTTP proxy, configured or from the environment.</summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private readonly ForwardingProxy _proxy = new();
    private QQSimulator _simulator = null!;

    public async Task InitializeAsync()
    {
        _simulator = await QQSimulator.StartAsync(AdapterHarness.Fast());
        _simulator.AddApp(AdapterHarness.AppId, AdapterHarness.Secret);
    }

    public async Task DisposeAsync()
    {
        _proxy.Dispose();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task ConfiguredProxy_TokenRestAndGatewayAllGoThroughIt()
    {
        await using var adapter = Adapter(_ => null);
        await adapter.StartAsync(new AdapterStartParams("qq1", "qqbot", Config(new JsonObject { ["proxy"] = _proxy.Url })), CancellationToken.None);

        await RoundTripAsync(adapter);

        var lines = _proxy.RequestLines.ToList();
        var hostPort = new Uri(_simulator.BaseUrl).Authority;
        Assert.Contains(lines, l => l.StartsWith("POST " + _simulator.TokenUrl, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("GET " + _simulator.BaseUrl + "/gateway/bot", StringComparison.Ordinal));
        Assert.Contains(lines, l => l == $"CONNECT {hostPort} HTTP/1.1");
        Assert.Contains(lines, l => l.StartsWith("POST " + _simulator.BaseUrl + "/v2/users/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EnvironmentProxies_WssProxyForGatewayHttpsProxyForRest()
    {
        using var gatewayProxy = new ForwardingProxy();
        var environment = new Dictionary<string, string> { ["WSS_PROXY"] = gatewayProxy.Url, ["https_proxy"] = _proxy.Url };
        await using var adapter = Adapter(name => environment.GetValueOrDefault(name));
        await adapter.StartAsync(new AdapterStartParams("qq1", "qqbot", Config()), CancellationToken.None);

        await RoundTripAsync(adapter);

        Assert.Equal([$"CONNECT {new Uri(_simulator.BaseUrl).Authority} HTTP/1.1"], gatewayProxy.RequestLines);
        Assert.DoesNotContain(_proxy.RequestLines, l => l.StartsWith("CONNECT", StringComparison.Ordinal));
        Assert.Contains(_proxy.RequestLines, l => l.Contains("/gateway/bot", StringComparison.Ordinal));
        Assert.Contains(_proxy.RequestLines, l => l.Contains("/v2/users/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoProxy_LoopbackListed_DirectConnection()
    {
        var environment = new Dictionary<string, string> { ["HTTPS_PROXY"] = _proxy.Url, ["NO_PROXY"] = "localhost,127.0.0.1" };
        await using var adapter = Adapter(name => environment.GetValueOrDefault(name));
        await adapter.StartAsync(new AdapterStartParams("qq1", "qqbot", Config()), CancellationToken.None);

        await RoundTripAsync(adapter);

        Assert.Empty(_proxy.RequestLines);
    }

    private async Task RoundTripAsync(QQBotAdapter adapter)
    {
        var app = _simulator.App(AdapterHarness.AppId);
        await app.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("via proxy", id: "ROBOT1.0_px"));
        await QQSimulator.WaitUntilAsync(() => adapter.Find("qq1")!.Gateway.Status.Seq >= 2, "the message");
        await adapter.ReplyAsync(new ReplyParams("qq1", new ChatTarget(ChatType.Person, Frames.UserOpenId), "ROBOT1.0_px", [new PlainComponent("ok")]), CancellationToken.None);
        Assert.Equal(GatewayState.Ready, adapter.Find("qq1")!.Gateway.Status.State);
    }

    private QQBotAdapter Adapter(Func<string, string?> environment)
        => new(new RecordingSink(), new InMemorySessionStore(), new CapturingLoggerFactory(), null, environment);

    private System.Text.Json.JsonElement Config(JsonObject? extra = null)
    {
        var config = new JsonObject { ["appId"] = AdapterHarness.AppId, ["clientSecret"] = AdapterHarness.Secret, ["tokenUrl"] = _simulator.TokenUrl, ["apiBaseUrl"] = _simulator.BaseUrl };
        foreach (var (key, value) in extra ?? [])
        {
            config[key] = value?.DeepClone();
        }

        return System.Text.Json.JsonSerializer.SerializeToElement(config);
    }
}
