using System.Net;
using System.Text.Json;
using Plugboard.Plugins.QQBot.Configuration;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Configuration parsing: intents by name and mask, defaults, proxies from settings and the environment.</summary>
public sealed class ConfigTests
{
    [Fact]
    public void Parse_Minimal_DefaultsFromTheReference()
    {
        var config = QQBotConfig.Parse(Json("""{"appId":"102056411","clientSecret":"s"}"""));

        Assert.Equal(1107300352, (int)config.Intents);
        Assert.Equal("https://api.sgroup.qq.com", config.EffectiveApiBaseUrl);
        Assert.Equal("https://bots.qq.com/app/getAppAccessToken", config.TokenUrl);
        Assert.Equal(TimeSpan.FromMinutes(60), config.C2CReplyWindow);
        Assert.Equal(TimeSpan.FromMinutes(5), config.GroupReplyWindow);
        Assert.Equal((0, 1), config.Shard);
        Assert.Null(config.GatewayUrl);
    }

    [Fact]
    public void Parse_SandboxNamedIntentsAndMask_Combined()
    {
        var config = QQBotConfig.Parse(Json("""{"appId":102056411,"clientSecret":"s","sandbox":true,"intents":["publicGuildMessages","interaction"],"intentsMask":3}"""));

        Assert.Equal((1 << 30) | (1 << 26) | 3, (int)config.Intents);
        Assert.Equal("https://sandbox.api.sgroup.qq.com", config.EffectiveApiBaseUrl);
        Assert.Equal("102056411", config.AppId);
    }

    [Fact]
    public void ToString_NeverShowsTheSecret()
    {
        var config = QQBotConfig.Parse(Json("""{"appId":"1","clientSecret":"very-secret","proxy":"http://user:pw@proxy:8080"}"""));

        Assert.DoesNotContain("very-secret", config.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pw", config.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProxyResolver_ConfiguredProxyWins_WithCredentials()
    {
        var proxy = (ProxyResolver.ConfiguredProxy)ProxyResolver.ForWebSocket("http://user:p%40ss@10.0.0.1:3128", Environment(("HTTPS_PROXY", "http://other:1")))!;

        Assert.Equal(new Uri("http://user:p%40ss@10.0.0.1:3128"), proxy.Address);
        Assert.Equal("p@ss", ((NetworkCredential)proxy.Credentials!).Password);
    }

    [Fact]
    public void ProxyResolver_Environment_WssForGatewayHttpsForRestAllProxyLast()
    {
        var env = Environment(("WSS_PROXY", "http://ws-proxy:1"), ("https_proxy", "127.0.0.1:7890"), ("ALL_PROXY", "socks5://all:9"));

        Assert.Equal(new Uri("http://ws-proxy:1"), ((ProxyResolver.ConfiguredProxy)ProxyResolver.ForWebSocket(null, env)!).Address);
        Assert.Equal(new Uri("http://127.0.0.1:7890"), ((ProxyResolver.ConfiguredProxy)ProxyResolver.ForHttp(null, env)!).Address);
        Assert.Equal(new Uri("socks5://all:9"), ((ProxyResolver.ConfiguredProxy)ProxyResolver.ForHttp(null, Environment(("ALL_PROXY", "socks5://all:9")))!).Address);
        Assert.Null(ProxyResolver.ForHttp(null, Environment()));
    }

    [Fact]
    public void ProxyResolver_NoProxy_BypassesListedHostsAndSubdomains()
    {
        var proxy = ProxyResolver.ForHttp(null, Environment(("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "localhost,.internal.example,10.1.2.3")))!;

        Assert.True(proxy.IsBypassed(new Uri("http://localhost/x")));
        Assert.True(proxy.IsBypassed(new Uri("https://api.internal.example/x")));
        Assert.True(proxy.IsBypassed(new Uri("http://10.1.2.3/")));
        Assert.False(proxy.IsBypassed(new Uri("https://api.sgroup.qq.com/")));
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
        => name => variables.FirstOrDefault(v => v.Name == name).Value;
}
