using Microsoft.Extensions.DependencyInjection;
using Plugboard.Plugins.QQBot.Hosting;
using Plugboard.Sdk;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.QQBot;

/// <summary>The plugin process: the <c>qqbot</c> adapter on the Plugboard SDK, serving every bot the runtime starts.</summary>
public static class Program
{
    /// <summary>Runs the adapter plugin until the runtime ends it; returns the process exit code.</summary>
    /// <param name="args">Command-line arguments (configuration overrides).</param>
    public static async Task<int> Main(string[] args)
    {
        var builder = PluginApp.CreateBuilder(args);
        builder.Services.AddSingleton<QQBotServices>();
        builder.AddAdapter<QQBotChatAdapter>("qqbot");
        await using var app = builder.Build();
        return await app.RunAsync().ConfigureAwait(false);
    }
}
