using System.CommandLine;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Server;

namespace Plugboard.Cli.Commands;

/// <summary><c>plugboard run</c>.</summary>
internal static class RunCommand
{
    private static readonly Option<string[]> PluginDirOption = new("--plugin-dir", "-p")
    {
        Description = "Also load plugins from this folder (repeatable; added after pluginDirectories).",
        HelpName = "DIR",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<int?> PortOption = new("--port")
    {
        Description = "The port of the control, debug and health endpoints (overrides control:port; 0 picks a free one).",
        HelpName = "PORT",
    };

    public static Command Build()
    {
        var command = new Command("run", "Run the runtime with its plugins until Ctrl+C (then stop plugins gracefully). Serves /control, /debug and /healthz on 127.0.0.1.")
        {
            PluginDirOption,
            PortOption,
        };
        command.SetAction(CliApp.Action(async context =>
        {
            var pluginDirectories = context.Get(PluginDirOption) ?? [];
            var port = context.Get(PortOption);
            var settings = context.LoadSettings(request => new SettingsRequest
            {
                ConfigFile = request.ConfigFile,
                DataDirectory = request.DataDirectory,
                PluginDirectories = pluginDirectories,
                Overrides = port is { } p ? [("control:port", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port")] : [],
            });
            return await RuntimeServer.RunAsync(settings, context.Out).ConfigureAwait(false);
        }, handleInterrupt: false));
        return command;
    }
}
