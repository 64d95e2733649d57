using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Plugboard.Cli.Client;
using Plugboard.Cli.Control;
using Plugboard.Cli.Output;
using Plugboard.Cli.Packaging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Plugins;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Commands;

/// <summary><c>plugboard plugin ...</c>.</summary>
internal static class PluginCommands
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print JSON instead of a table." };

    private static readonly Option<bool> NoWaitOption = new("--no-wait") { Description = "Return without waiting for the plugin to be Running." };

    private static readonly Option<int> WaitTimeoutOption = new("--wait-timeout")
    {
        Description = "How many seconds to wait for the plugin to be Running.",
        DefaultValueFactory = _ => 60,
        HelpName = "SECONDS",
    };

    private static readonly Option<string> ConfigurationOption = new("--configuration")
    {
        Description = "The build configuration used to publish a .NET plugin project.",
        DefaultValueFactory = _ => "Release",
        HelpName = "NAME",
    };

    public static Command Build()
    {
        var command = new Command("plugin", "Manage the plugins of a running runtime, and pack plugins.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Install());
        command.Subcommands.Add(Simple("uninstall", "Stop a plugin and remove it from the runtime (its data folder is kept).", ControlMethods.PluginUninstall, "Uninstalled", wait: false));
        command.Subcommands.Add(Simple("enable", "Enable a plugin (remembered across restarts) and start it.", ControlMethods.PluginEnable, "Enabled", wait: true));
        command.Subcommands.Add(Simple("disable", "Stop a plugin and disable it (remembered across restarts).", ControlMethods.PluginDisable, "Disabled", wait: false));
        command.Subcommands.Add(Simple("restart", "Restart a plugin (also brings a Failed plugin back).", ControlMethods.PluginRestart, "Restarted", wait: true));
        command.Subcommands.Add(Logs());
        command.Subcommands.Add(Pack());
        return command;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The plugin id (see `plugboard plugin list`)." };

    private static Command List()
    {
        var command = new Command("list", "List plugins with their state, version and process.") { JsonOption };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var plugins = await client.CallAsync<PluginStatus[]>(ControlMethods.PluginList, null, context.CancellationToken).ConfigureAwait(false);
            if (context.Get(JsonOption))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(plugins, CliJsonContext.Indented.GetTypeInfo(typeof(PluginStatus[])))).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            if (plugins.Length == 0)
            {
                await context.Out.WriteLineAsync("No plugins. Install one with `plugboard plugin install <folder|zip>`.").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            Table.Write(context.Out, ["ID", "VERSION", "STATE", "PID", "RESTARTS", "NAME"], plugins.Select(p => (IReadOnlyList<string>)
            [
                p.Id, p.Version, p.Enabled ? p.State.ToString() : "Disabled", p.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-", p.RestartCount.ToString(CultureInfo.InvariantCulture), p.DisplayName,
            ]));
            foreach (var failed in plugins.Where(p => p.LastError is not null && p.State is PluginState.Failed or PluginState.Restarting))
            {
                await context.Out.WriteLineAsync($"{failed.Id}: {failed.LastError} (see `plugboard plugin logs {failed.Id}`)").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Install()
    {
        var path = new Argument<string>("path") { Description = "A plugin folder (with plugin.json; a .NET project in it is published first) or a .zip made by `plugboard plugin pack`." };
        var command = new Command("install", "Install a plugin into the running runtime and start it.") { path, NoWaitOption, WaitTimeoutOption, ConfigurationOption };
        command.SetAction(CliApp.Action(async context =>
        {
            var source = Path.GetFullPath(context.Get(path)!);
            if (!File.Exists(source) && !Directory.Exists(source))
            {
                throw new CliException(ExitCodes.Failed, $"Nothing to install at {source}: give a plugin folder (with plugin.json) or a .zip package.");
            }

            using var progress = new Progress();
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            StagedPlugin? staged = null;
            try
            {
                var installFrom = source;
                if (Directory.Exists(source))
                {
                    staged = await PluginPackager.StageAsync(source, context.Get(ConfigurationOption)!, progress, context.CancellationToken).ConfigureAwait(false);
                    installFrom = staged.Directory;
                }

                var what = staged is null ? Path.GetFileName(source) : $"{staged.Manifest.Id} {staged.Manifest.Version}";
                progress.Step($"Installing {what}");
                using var registration = client.Connection.RegisterProgress(new InstallProgress(progress, what));
                PluginStatus status;
                try
                {
                    status = await client.CallAsync<PluginStatus>(ControlMethods.PluginInstall, new PluginInstallParams(installFrom, registration.Token), context.CancellationToken).ConfigureAwait(false);
                }
                catch (CliException ex) when (ex.InnerException is JsonRpcException { Code: JsonRpcErrorCodes.InvalidParams or JsonRpcErrorCodes.InvocationError or PlugboardErrorCodes.PluginInstallFailed })
                {
                    progress.Fail("Install refused");
                    throw new CliException(ExitCodes.PackageInvalid, ex.Message, ex);
                }

                progress.Done($"Installed {status.Id} {status.Version} into {status.Directory}");
                if (!context.Get(NoWaitOption))
                {
                    await WaitRunningAsync(context, client, progress, status.Id).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }
            finally
            {
                staged?.Dispose();
            }
        }));
        return command;
    }

    private static Command Simple(string name, string description, string method, string pastTense, bool wait)
    {
        var id = IdArgument();
        var command = new Command(name, description) { id };
        if (wait)
        {
            command.Options.Add(NoWaitOption);
            command.Options.Add(WaitTimeoutOption);
        }

        command.SetAction(CliApp.Action(async context =>
        {
            var pluginId = context.Get(id)!;
            using var progress = new Progress();
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            progress.Step($"{char.ToUpperInvariant(name[0])}{name[1..].TrimEnd('e')}ing {pluginId}");
            await client.CallAsync<JsonElement>(method, new PluginIdParams(pluginId), context.CancellationToken).ConfigureAwait(false);
            progress.Done($"{pastTense} {pluginId}");
            if (wait && !context.Get(NoWaitOption))
            {
                await WaitRunningAsync(context, client, progress, pluginId).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task WaitRunningAsync(CommandContext context, ControlClient client, Progress progress, string pluginId)
    {
        progress.Step($"Waiting for {pluginId} to be Running");
        var timeout = context.Get(WaitTimeoutOption);
        try
        {
            var status = await client.CallAsync<PluginStatus>(ControlMethods.PluginWaitUntilRunning, new PluginWaitParams(pluginId, timeout * 1000), context.CancellationToken).ConfigureAwait(false);
            progress.Done($"{pluginId} is Running{(status.ProcessId is { } pid ? $" (pid {pid})" : string.Empty)}");
        }
        catch (CliException ex)
        {
            progress.Fail($"{pluginId} did not reach Running");
            var logs = await client.CallAsync<string[]>(ControlMethods.PluginLogs, new PluginLogsParams(pluginId, 15), context.CancellationToken).ConfigureAwait(false);
            var tail = logs.Length == 0 ? " (it wrote nothing to stderr)" : Environment.NewLine + string.Join(Environment.NewLine, logs.Select(l => "  | " + l));
            throw new CliException(ExitCodes.Failed, $"{ex.Message}{Environment.NewLine}Last stderr lines of {pluginId}:{tail}", ex);
        }
    }

    private static Command Logs()
    {
        var id = IdArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until Ctrl+C." };
        var lines = new Option<int>("--lines", "-n") { Description = "How many of the last lines to print.", DefaultValueFactory = _ => 200, HelpName = "N" };
        var command = new Command("logs", "Print a plugin's recent stderr lines (its log), optionally following new ones.") { id, follow, lines };
        command.SetAction(CliApp.Action(async context =>
        {
            var pluginId = context.Get(id)!;
            var followLines = context.Get(follow);
            var output = context.Out;
            var gate = new Lock();
            var backlogPrinted = false;
            var early = new List<string>();
            await using var client = await context.ConnectAsync(connection => connection.AddNotification<PluginLogNotification>(ControlMethods.PluginLog, (notification, _) =>
            {
                lock (gate)
                {
                    if (!backlogPrinted)
                    {
                        early.Add(notification.Line);
                    }
                    else
                    {
                        output.WriteLine(notification.Line);
                    }
                }

                return ValueTask.CompletedTask;
            })).ConfigureAwait(false);
            var backlog = await client.CallAsync<string[]>(ControlMethods.PluginLogs, new PluginLogsParams(pluginId, context.Get(lines), followLines), context.CancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                foreach (var line in backlog)
                {
                    output.WriteLine(line);
                }

                // Lines that arrived while the backlog was on its way may also be in it; print only the new ones.
                foreach (var line in early.Skip(Overlap(backlog, early)))
                {
                    output.WriteLine(line);
                }

                backlogPrinted = true;
                output.Flush();
            }

            if (!followLines)
            {
                return ExitCodes.Success;
            }

            var ended = await client.Connection.Completion.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            throw new CliException(ExitCodes.RuntimeUnavailable, $"The runtime closed the connection ({ended.Description}).");
        }));
        return command;
    }

    /// <summary>Shows the store's install progress on the running step.</summary>
    private sealed class InstallProgress(Progress progress, string what) : IProgress<PluginInstallProgress>
    {
        public void Report(PluginInstallProgress value) => progress.Update(value.FilesTotal > 0
            ? $"Installing {what}: {value.Stage} {value.FilesDone}/{value.FilesTotal} files"
            : $"Installing {what}: {value.Stage}");
    }

    private static int Overlap(string[] backlog, List<string> early)
    {
        for (var take = Math.Min(backlog.Length, early.Count); take > 0; take--)
        {
            if (backlog.AsSpan(backlog.Length - take).SequenceEqual(early.Take(take).ToArray()))
            {
                return take;
            }
        }

        return 0;
    }

    private static Command Pack()
    {
        var directory = new Argument<string>("dir") { Description = "The plugin folder (with plugin.json). A .NET project in it is published first.", DefaultValueFactory = _ => "." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write <id>-<version>.zip.", DefaultValueFactory = _ => ".", HelpName = "DIR" };
        var command = new Command("pack", "Build a validated plugin package (.zip) from a plugin folder; .NET plugins are published first.") { directory, output, ConfigurationOption };
        command.SetAction(CliApp.Action(async context =>
        {
            using var progress = new Progress();
            var result = await PluginPackager.PackAsync(context.Get(directory)!, context.Get(output)!, context.Get(ConfigurationOption)!, progress, context.CancellationToken).ConfigureAwait(false);
            progress.Dispose();
            await context.Out.WriteLineAsync(result.ZipPath).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"{result.Manifest.Id} {result.Manifest.Version}: {result.FileCount} files, {result.Size} bytes, sha256 {result.Sha256}. Install it with `plugboard plugin install {Path.GetFileName(result.ZipPath)}`.").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
