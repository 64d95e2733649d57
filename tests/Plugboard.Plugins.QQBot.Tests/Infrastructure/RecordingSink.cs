using System.Collections.Concurrent;
using System.Text.Json;
using Plugboard.Plugins.QQBot.Tests.Simulator;

namespace Plugboard.Plugins.QQBot.Tests.Infrastructure;

/// <summary>An event the adapter emitted.</summary>
public sealed record EmittedEvent(string BotId, string Type, JsonElement Data, JsonElement? Raw);

/// <summary>Collects emitted events (stands in for the runtime's <c>event/emit</c>).</summary>
internal sealed class RecordingSink : IBotEventSink
{
    private readonly ConcurrentQueue<EmittedEvent> _events = new();

    public IReadOnlyList<EmittedEvent> Events => [.. _events];

    public Func<EmittedEvent, Task>? OnEmit { get; set; }

    public async Task EmitAsync(string botId, string type, JsonElement data, JsonElement? raw, CancellationToken cancellationToken)
    {
        var emitted = new EmittedEvent(botId, type, data.Clone(), raw?.Clone());
        _events.Enqueue(emitted);
        if (OnEmit is { } handler)
        {
            await handler(emitted);
        }
    }

    public async Task<IReadOnlyList<EmittedEvent>> WaitForAsync(Func<EmittedEvent, bool> match, int count, string what)
    {
        await QQSimulator.WaitUntilAsync(() => Events.Count(match) >= count, what);
        return [.. Events.Where(match)];
    }

    public async Task<EmittedEvent> WaitForOneAsync(Func<EmittedEvent, bool> match, string what)
        => (await WaitForAsync(match, 1, what))[0];
}
