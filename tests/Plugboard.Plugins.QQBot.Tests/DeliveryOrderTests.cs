using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Event delivery: in order within a conversation, conversations in parallel (bounded), or strictly serial.</summary>
public sealed class DeliveryOrderTests : IAsyncLifetime
{
    private AdapterHarness _harness = null!;

    private SimApp App => _harness.Simulator.App(AdapterHarness.AppId);

    public async Task InitializeAsync() => _harness = await AdapterHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Delivery_SlowConversation_OtherConversationsPassItWhileItsOwnOrderHolds()
    {
        var other = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completed = new ConcurrentQueue<string>();
        _harness.Sink.OnEmit = async e =>
        {
            var text = Text(e);
            if (text == "a1")
            {
                // Held until the other conversation's message has been delivered: only possible in parallel.
                await other.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }

            completed.Enqueue(text);
            if (text == "b1")
            {
                other.TrySetResult();
            }
        };
        await _harness.StartBotAsync();

        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("a1", user: "UA"));
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("a2", user: "UA"));
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" b1"));
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("a3", user: "UA"));
        await QQSimulator.WaitUntilAsync(() => completed.Count == 4, "all four deliveries");

        var order = completed.ToList();
        Assert.Equal("b1", order[0]);
        Assert.Equal(["a1", "a2", "a3"], order.Where(t => t.StartsWith('a')));
    }

    [Fact]
    public async Task Delivery_MaxConcurrentDeliveriesOne_StrictlyInArrivalOrder()
    {
        var completed = new ConcurrentQueue<string>();
        _harness.Sink.OnEmit = async e =>
        {
            var text = Text(e);
            if (text == "a1")
            {
                await Task.Delay(200);
            }

            completed.Enqueue(text);
        };
        await _harness.StartBotAsync(extra: new JsonObject { ["maxConcurrentDeliveries"] = 1 });

        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("a1", user: "UA"));
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" b1"));
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("a2", user: "UA"));
        await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("c1", user: "UC"));
        await QQSimulator.WaitUntilAsync(() => completed.Count == 4, "all four deliveries");

        Assert.Equal(["a1", "b1", "a2", "c1"], completed);
    }

    [Fact]
    public async Task Stop_AfterParallelDeliveries_SavedSequenceIsTheLastContiguousOne()
    {
        await _harness.StartBotAsync();
        long last = 0;
        for (var i = 0; i < 6; i++)
        {
            last = await App.PushAsync("C2C_MESSAGE_CREATE", Frames.C2C("m" + i, user: "U" + (i % 3)));
        }

        await _harness.Sink.WaitForAsync(e => e.Type == EventTypes.MessageReceived, 6, "six deliveries");
        await _harness.Adapter.StopAsync("qq1");

        var stored = await _harness.Sessions.LoadAsync("qq1", CancellationToken.None);
        Assert.Equal(last, stored!.Seq);
        Assert.Equal(12, stored.RecentEventIds.Count);
    }

    private static string Text(EmittedEvent e)
        => e.Data.GetProperty("chain").EnumerateArray().First(c => c.GetProperty("type").GetString() == "plain").GetProperty("text").GetString()!;
}
