using Company.Plugin1;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk;

var builder = PluginApp.CreateBuilder(args);

// A tool: agents and other plugins call it as "sample.pluginid/greet" with {"name": "..."}.
builder.AddTool<GreetArgs, Greeting>("greet", "Greets someone by name.",
    (args, context) => ValueTask.FromResult(new Greeting(Greeter.Greet(args.Name))));

// A listener: sees "message.received" before listeners with a lower priority, and may answer and stop propagation.
builder.AddListener("hello", ["message.received"], priority: 10, context =>
{
    var text = context.GetData<MessageEventData>()?.PlainText ?? string.Empty;
    if (text.StartsWith("hello", StringComparison.OrdinalIgnoreCase))
    {
        context.SetResult(new Greeting(Greeter.Greet("there")));
        context.StopPropagation();
    }

    return ValueTask.CompletedTask;
});

// A command: "/greet Ada" in a chat, or `plugboard command run greet Ada`.
builder.AddCommand("greet", async context =>
{
    if (context.Arguments.Count == 0)
    {
        await context.WriteLineAsync("usage: greet <name>");
        return 2;
    }

    await context.WriteLineAsync(Greeter.Greet(string.Join(' ', context.Arguments)));
    return 0;
}, usage: "greet <name>", description: "Greets someone by name.");

await using var app = builder.Build();
return await app.RunAsync();
