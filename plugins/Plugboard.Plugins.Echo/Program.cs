using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Plugboard.Plugins.Echo;
using Plugboard.Sdk;

var builder = PluginApp.CreateBuilder(args);
var settings = new EchoSettingsHolder();
builder.Services.AddSingleton(settings);

// The configuration (prefix, stream pace) is read once the handshake is done; defaults apply until then.
builder.OnInitialized(async (runtime, cancellationToken) => settings.Set(await runtime.GetConfigAsync<EchoSettings>(cancellationToken)));

builder.AddListener<EchoListener>("echo", ["message.received"]);

builder.AddTool<EchoArgs, EchoResult>("echo", "Returns the text prefixed with \"echo: \".", (arguments, _) =>
    ValueTask.FromResult(new EchoResult(settings.Current.Prefix + arguments.Text)));

builder.AddCommand("echo", async context =>
{
    await context.WriteAsync(settings.Current.Prefix + string.Join(' ', context.Arguments) + "\n");
    return 0;
}, usage: "echo <text>", description: "Prints the text prefixed with \"echo: \".");

await using var app = builder.Build();
return await app.RunAsync();

/// <summary>Arguments of the <c>echo</c> tool.</summary>
/// <param name="Text">The text to echo.</param>
internal sealed record EchoArgs([property: Description("The text to echo.")] string Text);

/// <summary>Result of the <c>echo</c> tool.</summary>
/// <param name="Text">The echoed text.</param>
internal sealed record EchoResult(string Text);
