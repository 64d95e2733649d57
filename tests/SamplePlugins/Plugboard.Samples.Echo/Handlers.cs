using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Plugboard.Sdk;

namespace Plugboard.Samples.Echo;

/// <summary>The sample's delegate handlers.</summary>
internal static class Handlers
{
    /// <summary>Replies with the message text; stops propagation when the text starts with "stop".</summary>
    public static ValueTask ReplyAsync(EventContext context)
    {
        var text = context.GetData<MessageData>()?.Text ?? string.Empty;
        context.SetResult(new Reply(text));
        if (text.StartsWith("stop", StringComparison.OrdinalIgnoreCase))
        {
            context.StopPropagation();
        }

        return ValueTask.CompletedTask;
    }

    public static ValueTask<EchoResult> EchoAsync(EchoArgs arguments, ToolContext context)
    {
        // A stray write to Console.Out: the SDK sends it to stderr, so the protocol on stdout stays clean.
        Console.WriteLine($"echo tool called with: {arguments.Text}");
        return ValueTask.FromResult(new EchoResult(arguments.Text));
    }

    public static async ValueTask<ProgressResult> ProgressAsync(ProgressArgs arguments, ToolContext context)
    {
        for (var step = 1; step <= arguments.Count; step++)
        {
            await context.ReportProgressAsync(new ProgressStep(step, arguments.Count));
        }

        return new ProgressResult(arguments.Count);
    }

    public static ValueTask<NoArgs> Crash(NoArgs arguments, ToolContext context)
    {
        Console.Error.WriteLine("crash tool: exiting with code 3.");
        Environment.Exit(3);
        return ValueTask.FromResult(arguments);
    }

    /// <summary>Starves the thread pool so nothing runs any more, pings included: a realistic deadlocked plugin.</summary>
    public static ValueTask<NoArgs> Hang(NoArgs arguments, ToolContext context)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMaxThreads(workers, completionPorts);
        for (var i = 0; i < (workers * 4) + 16; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Thread.Sleep(Timeout.Infinite), null);
        }

        // Work items that stay queued for a while mean no pool thread is free to run anything, a ping included.
        for (var stillQueued = 0; stillQueued < 20; stillQueued = ThreadPool.PendingWorkItemCount > 0 ? stillQueued + 1 : 0)
        {
            Thread.Sleep(10);
        }

        Console.Error.WriteLine("hang: every thread pool thread is blocked; pings go unanswered from now on.");
        Thread.Sleep(Timeout.Infinite);
        return ValueTask.FromResult(arguments);
    }

    public static async ValueTask<RememberResult> RememberAsync(RememberArgs arguments, ToolContext context)
    {
        var written = await context.Runtime.SetValueAsync(arguments.Key, arguments.Value, cancellationToken: context.CancellationToken);
        return new RememberResult(written.Version);
    }

    public static async ValueTask<RecallResult> RecallAsync(RecallArgs arguments, ToolContext context)
    {
        var value = await context.Runtime.GetValueAsync<string>(arguments.Key, cancellationToken: context.CancellationToken);
        return new RecallResult(value is not null, value);
    }

    public static async ValueTask<EchoResult> GreetAsync(GreetArgs arguments, ToolContext context)
    {
        var config = await context.Runtime.GetConfigAsync<SampleConfig>(context.CancellationToken);
        return new EchoResult($"{config.Greeting}, {arguments.Name}!");
    }

    public static async ValueTask<int> HelloAsync(CommandContext context)
    {
        var name = context.Arguments.Count > 0 ? string.Join(' ', context.Arguments) : "world";
        await context.WriteLineAsync($"Hello, {name}!");
        await Task.Delay(10, context.CancellationToken);
        await context.WriteLineAsync("This is the hello command of the echo sample.");
        await Task.Delay(10, context.CancellationToken);
        await context.WriteLineAsync("Goodbye.");
        return 0;
    }
}

/// <summary>A DI-registered listener on every event: counts them.</summary>
internal sealed class EventCounter(SampleState state) : IEventListener
{
    public ValueTask HandleAsync(EventContext context)
    {
        state.CountEvent();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A DI-registered tool that waits, honouring cancellation, and records cancellations.</summary>
[Description("Waits for the given time, honouring cancellation.")]
internal sealed class SlowTool(SampleState state, ILogger<SlowTool> logger) : ITool<SlowArgs, SlowResult>
{
    public async ValueTask<SlowResult> InvokeAsync(SlowArgs arguments, ToolContext context)
    {
        logger.LogInformation("slow: waiting {Milliseconds} ms", arguments.Milliseconds);
        try
        {
            await Task.Delay(arguments.Milliseconds, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            state.RecordCancellation();
            logger.LogInformation("slow: cancelled after a request to wait {Milliseconds} ms", arguments.Milliseconds);
            throw;
        }

        return new SlowResult(arguments.Milliseconds);
    }
}

/// <summary>Counters shared by the handlers.</summary>
internal sealed class SampleState
{
    private int _eventsSeen;
    private int _cancellations;

    public int EventsSeen => Volatile.Read(ref _eventsSeen);

    public int Cancellations => Volatile.Read(ref _cancellations);

    public void CountEvent() => Interlocked.Increment(ref _eventsSeen);

    public void RecordCancellation() => Interlocked.Increment(ref _cancellations);
}
