using System.CommandLine;
using System.Net;
using Plugboard.Cli.Control;
using Plugboard.Runtime;

namespace Plugboard.Cli.Commands;

/// <summary><c>plugboard status</c> and <c>plugboard config check</c>.</summary>
internal static class StatusCommands
{
    public static Command BuildStatus()
    {
        var command = new Command("status", "Show whether the runtime is running, where, and how its plugins are doing.");
        command.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var info = await client.CallAsync<RuntimeInfoResult>(ControlMethods.RuntimeInfo, null, context.CancellationToken).ConfigureAwait(false);
            var plugins = await client.CallAsync<PluginStatus[]>(ControlMethods.PluginList, null, context.CancellationToken).ConfigureAwait(false);
            var output = context.Out;
            await output.WriteLineAsync($"Plugboard {info.Version} running since {info.StartedAt.ToLocalTime():G} (pid {info.ProcessId})").ConfigureAwait(false);
            await output.WriteLineAsync($"  data folder   {info.DataDirectory}").ConfigureAwait(false);
            await output.WriteLineAsync($"  control       {info.ControlUrl}").ConfigureAwait(false);
            await output.WriteLineAsync($"  debug attach  {info.DebugUrl ?? "disabled"}").ConfigureAwait(false);
            await output.WriteLineAsync($"  protocol      {string.Join(", ", info.ProtocolVersions)}").ConfigureAwait(false);
            var states = plugins.GroupBy(p => p.State).Select(g => $"{g.Count()} {g.Key}");
            await output.WriteLineAsync($"  plugins       {plugins.Length}{(plugins.Length > 0 ? " (" + string.Join(", ", states) + ")" : string.Empty)}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    public static Command BuildConfig()
    {
        var command = new Command("config", "Inspect the configuration.");
        var check = new Command("check", "Validate the configuration (file, PLUGBOARD__ variables, options) and print the effective settings.");
        check.SetAction(CliApp.Action(async context =>
        {
            var settings = context.LoadSettings();
            var output = context.Out;
            await output.WriteLineAsync($"The configuration is valid{(settings.ConfigFile is null ? " (no config file; defaults and environment)" : $" ({settings.ConfigFile})")}.").ConfigureAwait(false);
            await output.WriteLineAsync($"  dataDirectory        {settings.DataDirectory}").ConfigureAwait(false);
            await output.WriteLineAsync($"  pluginDirectories    {(settings.PluginDirectories.Count == 0 ? "(none)" : string.Join(", ", settings.PluginDirectories))}").ConfigureAwait(false);
            await output.WriteLineAsync($"  storage              {settings.StorageProvider}{(settings.PostgresConnectionString is null ? string.Empty : " (connection string set)")}").ConfigureAwait(false);
            var address = settings.Control.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{settings.Control.Address}]" : settings.Control.Address.ToString();
            await output.WriteLineAsync($"  control              {address}:{settings.Control.Port}{(IPAddress.IsLoopback(settings.Control.Address) ? string.Empty : " (remote allowed)")}, token {settings.Control.TokenFile}").ConfigureAwait(false);
            await output.WriteLineAsync($"  debug                {(settings.Debug.Enabled ? $"enabled, token {settings.Debug.TokenFile}, reattach grace {settings.Debug.ReattachGrace.TotalSeconds:0.#} s" : "disabled")}").ConfigureAwait(false);
            await output.WriteLineAsync($"  limits               listener {settings.Limits.ListenerTimeout.TotalSeconds:0.#} s, tool {settings.Limits.ToolTimeout.TotalSeconds:0.#} s, message {settings.Limits.MaxMessageSize} bytes").ConfigureAwait(false);
            await output.WriteLineAsync($"  plugin configuration {(settings.PluginConfig.Count == 0 ? "(none)" : string.Join(", ", settings.PluginConfig.Keys))}").ConfigureAwait(false);
            await output.WriteLineAsync($"  logging              {settings.Logging.Level}, {settings.Logging.Format}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(check);
        return command;
    }
}
