// A sample plugin on Plugboard.Sdk, used by the SDK's and the runtime's tests.
// SAMPLE_MODE selects a behaviour for supervisor tests: normal (default), crash-on-start, hang-on-start,
// garbage-stdout, oversized, version-mismatch.
using Microsoft.Extensions.DependencyInjection;
using Plugboard.Samples.Echo;
using Plugboard.Sdk;

var mode = Environment.GetEnvironmentVariable("SAMPLE_MODE") ?? "normal";
switch (mode)
{
    case "crash-on-start":
        Console.Error.WriteLine("SAMPLE_MODE=crash-on-start: exiting with code 1 before the handshake.");
        return 1;
    case "hang-on-start":
        // Never reads stdin, so never answers initialize.
        Thread.Sleep(Timeout.Infinite);
        return 0;
}

var builder = PluginApp.CreateBuilder(args);
builder.Services.AddSingleton<SampleState>();
switch (mode)
{
    case "version-mismatch":
        builder.Options.ProtocolVersions.Clear();
        builder.Options.ProtocolVersions.Add("9.9");
        break;
    case "oversized":
        // Let the SDK send what the runtime's limit (16 MiB) must reject.
        builder.Options.MaxMessageSize = 64 * 1024 * 1024;
        builder.OnInitialized(SampleModes.SendOversizedMessageAsync);
        break;
    case "garbage-stdout":
        builder.OnInitialized(SampleModes.WriteGarbageToStdoutAsync);
        break;
}

builder.AddListener("reply", ["message.*"], priority: 10, Handlers.ReplyAsync);
builder.AddListener<EventCounter>("counter", ["*"], priority: 0);

builder.AddTool<EchoArgs, EchoResult>("echo", "Returns the text it is given.", Handlers.EchoAsync);
builder.AddTool<SlowTool>("slow");
builder.AddTool<ProgressArgs, ProgressResult>("progress", "Reports progress count times, then returns the count.", Handlers.ProgressAsync);
builder.AddTool<NoArgs, CountResult>("events_seen", "How many events the counter listener has seen.",
    (_, context) => ValueTask.FromResult(new CountResult(context.Services.GetRequiredService<SampleState>().EventsSeen)));
builder.AddTool<NoArgs, CountResult>("cancelled_count", "How many slow invocations were cancelled.",
    (_, context) => ValueTask.FromResult(new CountResult(context.Services.GetRequiredService<SampleState>().Cancellations)));
builder.AddTool<NoArgs, NoArgs>("crash", "Exits the process with code 3.", Handlers.Crash);
builder.AddTool<NoArgs, NoArgs>("hang", "Makes the plugin unresponsive (it stops answering pings).", Handlers.Hang);
builder.AddTool<RememberArgs, RememberResult>("remember", "Stores a value in the plugin's storage.", Handlers.RememberAsync);
builder.AddTool<RecallArgs, RecallResult>("recall", "Reads a value from the plugin's storage.", Handlers.RecallAsync);
builder.AddTool<GreetArgs, EchoResult>("greet", "Greets someone with the configured greeting.", Handlers.GreetAsync);

builder.AddCommand("hello", Handlers.HelloAsync, aliases: ["hi"], usage: "hello [name]", description: "Streams three lines of greeting.");

await using var app = builder.Build();
return await app.RunAsync();
