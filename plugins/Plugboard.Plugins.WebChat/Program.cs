using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using Plugboard.Plugins.WebChat;
using Plugboard.Sdk;
using Plugboard.Sdk.Adapters;

var builder = PluginApp.CreateBuilder(args);
var directory = new WebChatDirectory();
builder.Services.AddSingleton(directory);
builder.AddAdapter<WebChatAdapter>(WebChatAdapter.Platform);
builder.AddTool<WebChatUrlArgs, WebChatUrlResult>("webchat_url", "The chat page address of each running web chat bot.", (arguments, _) =>
    ValueTask.FromResult(new WebChatUrlResult(directory.List(arguments.BotId))));

await using var app = builder.Build();
return await app.RunAsync();

/// <summary>Arguments of the <c>webchat_url</c> tool.</summary>
/// <param name="BotId">Only this bot.</param>
internal sealed record WebChatUrlArgs([property: Description("Only this bot.")] string? BotId = null);

/// <summary>Result of the <c>webchat_url</c> tool.</summary>
/// <param name="Bots">The running web chat bots and their addresses.</param>
internal sealed record WebChatUrlResult(IReadOnlyList<WebChatEndpoint> Bots);
