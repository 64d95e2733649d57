using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Tests.Infrastructure;
using Plugboard.Plugins.WeComBot.Tests.Simulator;

namespace Plugboard.Plugins.WeComBot.Tests;

/// <summary>
/// The simulator's fidelity, checked with WeCom's official long-connection client (@wecom/aibot-node-sdk WSClient):
/// it subscribes, receives a callback and streams a reply against the simulator exactly as it would against WeCom.
/// </summary>
public sealed class OfficialClientTests : IAsyncLifetime
{
    private WeComSimulator _simulator = null!;

    public async Task InitializeAsync()
    {
        _simulator = await WeComSimulator.StartAsync();
        _simulator.AddBot("aibOFFICIAL", "official-secret");
    }

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task OfficialSdk_AgainstSimulator_SubscribesReceivesAndStreamsAReply()
    {
        using var process = NodeReference.Start("official-client.js", [_simulator.WebSocketUrl.ToString(), "aibOFFICIAL", "official-secret"]);
        try
        {
            Assert.Equal("authenticated", await StepAsync(process));
            await AdapterHarness.WaitForAsync(() => _simulator.Frames.Any(f => f.Cmd == "ping"), "the official client's first ping");
            var reqId = await _simulator.PushMessageAsync("aibOFFICIAL", Callbacks.Text("o1", "hello"));

            Assert.Equal("message", await StepAsync(process, j => Assert.Equal((reqId, "hello"), (j["reqId"]!.GetValue<string>(), j["content"]!.GetValue<string>()))));
            Assert.Equal("replied", await StepAsync(process, j => Assert.Equal(0, j["errcode"]!.GetValue<int>())));

            var subscribe = _simulator.Frames[0];
            Assert.Equal("aibot_subscribe", subscribe.Cmd);
            Assert.Matches("^aibot_subscribe_[0-9]{13}_[0-9a-f]{8}$", subscribe.ReqId);
            var replies = _simulator.RepliesTo(reqId);
            Assert.Equal(["official ", "official reply: hello"], replies.Select(f => f.Stream!["content"]!.GetValue<string>()));
            Assert.Equal([false, true], replies.Select(f => f.Stream!["finish"]!.GetValue<bool>()));
            Assert.Empty(_simulator.Violations);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> StepAsync(System.Diagnostics.Process process, Action<JsonObject>? check = null)
    {
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("The official client exited: " + await process.StandardError.ReadToEndAsync());
        var json = JsonNode.Parse(line)!.AsObject();
        check?.Invoke(json);
        return json["step"]!.GetValue<string>();
    }
}
