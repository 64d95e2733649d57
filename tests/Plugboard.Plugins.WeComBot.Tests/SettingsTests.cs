using System.Text.Json;
using Plugboard.Plugins.WeComBot.Adapter;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>Mode selection without surprises, and configuration errors that name every problem.</summary>
public sealed class SettingsTests
{
    private const string AesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    [Fact]
    public void Parse_AutoWithBotIdAndSecret_LongConnection()
    {
        var settings = Parse("""{"botId":"aib1","secret":"s"}""");

        Assert.Equal(WeComBotMode.LongConnection, settings.Mode);
        Assert.Equal("mode is auto and botId/secret are set", settings.ModeReason);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.HeartbeatInterval);
        Assert.Equal(new Uri("wss://openws.work.weixin.qq.com"), settings.WebSocketUrl);
    }

    [Fact]
    public void Parse_AutoWithTokenAndKeyOnly_Webhook()
    {
        var settings = Parse($$"""{"token":"t","encodingAesKey":"{{AesKey}}"}""");

        Assert.Equal(WeComBotMode.Webhook, settings.Mode);
    }

    [Fact]
    public void Parse_AutoWithBothComplete_LongConnectionAndTheReasonSaysHowToChoose()
    {
        var settings = Parse($$"""{"botId":"aib1","secret":"s","token":"t","encodingAesKey":"{{AesKey}}"}""");

        Assert.Equal(WeComBotMode.LongConnection, settings.Mode);
        Assert.Contains("set mode to choose", settings.ModeReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NeitherComplete_ErrorNamesWhatEachModeMisses()
    {
        var error = Assert.Throws<WeComConfigException>(() => Parse("""{"botId":"aib1","token":"t"}"""));

        Assert.Contains("no complete mode is configured", error.Message, StringComparison.Ordinal);
        Assert.Contains("long connection needs botId and secret (missing: secret)", error.Message, StringComparison.Ordinal);
        Assert.Contains("webhook needs token and encodingAesKey (missing: encodingAesKey)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ExplicitWebhookWithOnlyLongConnectionFields_ErrorNamesTheMissingFields()
    {
        var error = Assert.Throws<WeComConfigException>(() => Parse("""{"mode":"webhook","botId":"aib1","secret":"s"}"""));

        Assert.Equal(["mode webhook needs token and encodingAesKey"], error.Errors);
    }

    [Fact]
    public void Parse_SeveralProblems_ListsThemAll()
    {
        var error = Assert.Throws<WeComConfigException>(() => Parse("""{"mode":"carrier-pigeon","encodingAesKey":"short","webSocketUrl":"http://x","ackTimeoutMs":-5}"""));

        Assert.Equal(4, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("mode: 'carrier-pigeon'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("encodingAesKey:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("webSocketUrl:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("ackTimeoutMs:", StringComparison.Ordinal));
    }

    private static WeComBotSettings Parse(string json) => WeComBotSettings.Parse(JsonDocument.Parse(json).RootElement);
}
