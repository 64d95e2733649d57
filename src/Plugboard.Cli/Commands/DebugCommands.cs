using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Cli.Client;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Control;
using Plugboard.Cli.Output;
using Plugboard.Cli.Server;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Cli.Commands;

/// <summary><c>plugboard debug ...</c>: settings for attaching a hand-started plugin process to the runtime.</summary>
internal static class DebugCommands
{
    /// <summary>The launch profile <c>debug env</c> creates when a project has none that attaches.</summary>
    public const string ProfileName = "Plugboard (attach)";

    public static Command Build()
    {
        var command = new Command("debug", "Attach plugins started by hand (dotnet run/watch, an IDE, node) to the runtime.");

        var token = new Command("token", "Print the debug token (created if the runtime has not run yet).");
        token.SetAction(CliApp.Action(async context =>
        {
            var settings = context.LoadSettings();
            await context.Out.WriteLineAsync(TokenFile.EnsureToken(settings.Debug.TokenFile, out _, out _)).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(token);

        var project = new Option<string>("--project") { Description = "The plugin project folder (with plugin.json, or a folder above one).", DefaultValueFactory = _ => ".", HelpName = "DIR" };
        var pluginOption = new Option<string>("--plugin") { Description = "The plugin id (default: the id in plugin.json).", HelpName = "ID" };
        var print = new Option<bool>("--print") { Description = "Only print the variables as shell `export` lines; change no file." };
        var env = new Command("env", "Write PLUGBOARD_DEBUG_URL and PLUGBOARD_DEBUG_TOKEN into the project's launchSettings.json and .env.") { project, pluginOption, print };
        env.SetAction(CliApp.Action(async context =>
        {
            var settings = context.LoadSettings();
            var projectDirectory = FindPluginFolder(Path.GetFullPath(context.Get(project)!));
            var pluginId = context.Get(pluginOption) ?? ReadPluginId(projectDirectory);
            var url = $"{DebugBaseUrl(settings)}?{RuntimeEndpoints.PluginQueryParameter}={Uri.EscapeDataString(pluginId)}";
            var secret = TokenFile.EnsureToken(settings.Debug.TokenFile, out _, out _);
            if (context.Get(print))
            {
                await context.Out.WriteLineAsync($"export {PluginEnvironment.DebugUrl}='{url}'").ConfigureAwait(false);
                await context.Out.WriteLineAsync($"export {PluginEnvironment.DebugToken}='{secret}'").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var launchSettings = Path.Combine(projectDirectory, "Properties", "launchSettings.json");
            var profiles = WriteLaunchSettings(launchSettings, url, secret);
            var dotEnv = Path.Combine(projectDirectory, ".env");
            WriteDotEnv(dotEnv, url, secret);
            await context.Out.WriteLineAsync($"Plugin {pluginId} attaches to {url}").ConfigureAwait(false);
            await context.Out.WriteLineAsync($"  updated {launchSettings} (profiles: {string.Join(", ", profiles)})").ConfigureAwait(false);
            await context.Out.WriteLineAsync($"  updated {dotEnv} (mode 0600; keep it out of version control)").ConfigureAwait(false);
            await context.Out.WriteLineAsync($"Start it with `dotnet watch --project {Path.GetRelativePath(Directory.GetCurrentDirectory(), projectDirectory)}` or F5 in your IDE; the plugin must already be installed (`plugboard plugin install`).").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(env);

        var list = new Command("list", "List plugins currently served by an attached process.");
        list.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var sessions = await client.CallAsync<DebugSessionInfo[]>(ControlMethods.DebugList, null, context.CancellationToken).ConfigureAwait(false);
            if (sessions.Length == 0)
            {
                await context.Out.WriteLineAsync("No debug sessions.").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            Table.Write(context.Out, ["PLUGIN", "FROM", "SINCE", "SDK", "PID"], sessions.Select(s => (IReadOnlyList<string>)
            [
                s.PluginId, s.Remote, s.AttachedAt.ToLocalTime().ToString("T", CultureInfo.InvariantCulture), $"{s.Sdk} {s.SdkVersion}".Trim(), s.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-",
            ]));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(list);
        return command;
    }

    /// <summary>The debug endpoint of the running runtime, or the one the settings describe.</summary>
    private static string DebugBaseUrl(PlugboardSettings settings)
    {
        if (!settings.Debug.Enabled)
        {
            throw new CliException(ExitCodes.ConfigInvalid, "Debug attach is disabled (debug:enabled is false). Enable it in the config file or with PLUGBOARD__DEBUG__ENABLED=true.");
        }

        try
        {
            var info = ControlTarget.ReadInfoFile(settings);
            if (info.DebugUrl is { } running)
            {
                return running;
            }
        }
        catch (CliException)
        {
            // Not running: describe the endpoint it will have.
        }

        if (settings.Control.Port == 0)
        {
            throw new CliException(ExitCodes.RuntimeUnavailable, "control:port is 0 (a free port on each start), so the debug URL is only known while the runtime runs. Start it with `plugboard run` first, or set a fixed control:port.");
        }

        var address = IPAddress.Any.Equals(settings.Control.Address) ? IPAddress.Loopback : settings.Control.Address;
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return $"ws://{host}:{settings.Control.Port}{RuntimeEndpoints.DebugPath}";
    }

    private static string FindPluginFolder(string directory)
    {
        if (File.Exists(Path.Combine(directory, PluginManifest.FileName)))
        {
            return directory;
        }

        if (!Directory.Exists(directory))
        {
            throw new CliException(ExitCodes.Usage, $"{directory} does not exist. Pass the plugin project folder with --project.");
        }

        var candidates = Directory.EnumerateFiles(directory, PluginManifest.FileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules" or ".git"))
            .Select(Path.GetDirectoryName)
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0]!,
            0 => throw new CliException(ExitCodes.Usage, $"No {PluginManifest.FileName} in or below {directory}. Pass the plugin project folder with --project."),
            _ => throw new CliException(ExitCodes.Usage, $"Several plugins below {directory} ({string.Join(", ", candidates)}); pick one with --project."),
        };
    }

    private static string ReadPluginId(string directory)
    {
        try
        {
            return ManifestLoader.LoadFile(Path.Combine(directory, PluginManifest.FileName)).Id;
        }
        catch (ManifestValidationException ex)
        {
            throw new CliException(ExitCodes.PackageInvalid, $"{ex.Message} Fix plugin.json or pass --plugin.", ex);
        }
    }

    /// <summary>Sets the two variables in every profile that has one of them, or adds <see cref="ProfileName"/>.</summary>
    private static List<string> WriteLaunchSettings(string path, string url, string token)
    {
        JsonObject root;
        try
        {
            root = File.Exists(path)
                ? JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject ?? new JsonObject()
                : new JsonObject();
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Failed, $"{path} is not valid JSON ({ex.Message}). Fix or delete it and run this again.", ex);
        }

        if (root["profiles"] is not JsonObject profiles)
        {
            profiles = new JsonObject();
            root["profiles"] = profiles;
        }

        var updated = new List<string>();
        foreach (var (name, node) in profiles)
        {
            if (node?["environmentVariables"] is JsonObject variables && (variables.ContainsKey(PluginEnvironment.DebugUrl) || variables.ContainsKey(PluginEnvironment.DebugToken)))
            {
                variables[PluginEnvironment.DebugUrl] = url;
                variables[PluginEnvironment.DebugToken] = token;
                updated.Add(name);
            }
        }

        if (updated.Count == 0)
        {
            profiles[ProfileName] = new JsonObject
            {
                ["commandName"] = "Project",
                ["environmentVariables"] = new JsonObject
                {
                    [PluginEnvironment.DebugUrl] = url,
                    [PluginEnvironment.DebugToken] = token,
                },
            };
            updated.Add(ProfileName);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        return updated;
    }

    private static void WriteDotEnv(string path, string url, string token)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
        Upsert(lines, PluginEnvironment.DebugUrl, url);
        Upsert(lines, PluginEnvironment.DebugToken, token);
        File.WriteAllLines(path, lines);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, TokenFile.OwnerOnly);
        }
    }

    private static void Upsert(List<string> lines, string name, string value)
    {
        var line = $"{name}={value}";
        var index = lines.FindIndex(l => l.StartsWith(name + "=", StringComparison.Ordinal));
        if (index >= 0)
        {
            lines[index] = line;
        }
        else
        {
            lines.Add(line);
        }
    }
}
