using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;
using Plugboard.Cli.Client;
using Plugboard.Cli.Commands;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Output;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Mcp.Serving;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Mcp;

/// <summary><c>plugboard mcp ...</c>: manage the MCP servers of a running runtime, and serve Plugboard over MCP on stdio.</summary>
internal static class McpCommands
{
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print JSON instead of a table." };

    private static readonly Option<bool> NoWaitOption = new("--no-wait") { Description = "Return without waiting for the server to be Running." };

    private static readonly Option<int> WaitTimeoutOption = new("--wait-timeout")
    {
        Description = "How many seconds to wait for the server to be Running.",
        DefaultValueFactory = _ => 120,
        HelpName = "SECONDS",
    };

    public static Command Build()
    {
        var command = new Command("mcp", "Manage the MCP servers the runtime hosts (their tools are mcp.<server>.<tool>), and serve Plugboard's tools over MCP.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Simple("remove", "Stop an MCP server and delete it (servers from the config file are removed there).", McpControlMethods.Remove, "Removed", wait: false));
        command.Subcommands.Add(Simple("enable", "Enable an MCP server (remembered across restarts) and start it.", McpControlMethods.Enable, "Enabled", wait: true));
        command.Subcommands.Add(Simple("disable", "Stop an MCP server and disable it (remembered across restarts); its tools leave the registry.", McpControlMethods.Disable, "Disabled", wait: false));
        command.Subcommands.Add(Simple("restart", "Restart an MCP server (also brings a Failed one back).", McpControlMethods.Restart, "Restarted", wait: true));
        command.Subcommands.Add(Logs());
        command.Subcommands.Add(Serve());
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The MCP server's name (see `plugboard mcp list`)." };

    private static Command List()
    {
        var command = new Command("list", "List the hosted MCP servers with their state, transport and tools.") { JsonOption };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var servers = await CallAsync(client, McpControlMethods.List, default, McpCliJsonContext.Default.McpServerStatusArray, context.CancellationToken).ConfigureAwait(false);
            if (context.Get(JsonOption))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(servers, McpCliJsonContext.Indented.McpServerStatusArray)).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            if (servers.Length == 0)
            {
                await context.Out.WriteLineAsync("No MCP servers. Add one with `plugboard mcp add <name> --host -- npx -y @modelcontextprotocol/server-everything`.").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            Table.Write(context.Out, ["NAME", "STATE", "TRANSPORT", "WHERE", "TOOLS", "PID", "RESTARTS", "SOURCE", "SERVER"], servers.Select(s => (IReadOnlyList<string>)
            [
                s.Name,
                s.Enabled ? s.State.ToString() : "Disabled",
                s.Definition.Transport == McpTransportKind.Http ? "http" : "stdio",
                s.Definition.Transport == McpTransportKind.Http ? s.Definition.Url ?? "-" : s.Definition.Location == McpServerLocation.Host ? "host" : "box",
                s.Tools.Count.ToString(CultureInfo.InvariantCulture),
                s.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-",
                s.RestartCount.ToString(CultureInfo.InvariantCulture),
                s.Source == McpServerSource.Config ? "config" : "added",
                s.ServerInfo ?? "-",
            ]));
            foreach (var failed in servers.Where(s => s.LastError is not null && s.State is PluginState.Failed or PluginState.Restarting))
            {
                await context.Out.WriteLineAsync($"{failed.Name}: {failed.LastError} (see `plugboard mcp logs {failed.Name}`)").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The server's name: lowercase letters, digits, '-' and '_' (its tools become mcp.<name>.<tool>)." };
        var commandLine = new Argument<string[]>("command") { Description = "The stdio server's command and arguments, after `--` (e.g. -- npx -y @modelcontextprotocol/server-filesystem /srv/docs).", Arity = ArgumentArity.ZeroOrMore };
        var host = new Option<bool>("--host") { Description = "Run the stdio server on this machine, unsandboxed (the default is inside a Box session)." };
        var url = new Option<string>("--url") { Description = "A Streamable HTTP server's endpoint instead of a command.", HelpName = "URL" };
        var headers = new Option<string[]>("--header") { Description = "An HTTP header for --url servers (repeatable), e.g. \"Authorization=Bearer ...\".", HelpName = "NAME=VALUE" };
        var env = new Option<string[]>("--env", "-e") { Description = "An environment variable for the stdio server (repeatable).", HelpName = "NAME=VALUE" };
        var mounts = new Option<string[]>("--box-mount") { Description = "A host folder the server sees read-only inside the Box, at the same path (repeatable; the Box must allow it).", HelpName = "DIR" };
        var cwd = new Option<string>("--cwd") { Description = "The stdio server's working folder (default <data>/mcp/<name>).", HelpName = "DIR" };
        var tools = new Option<string[]>("--tools") { Description = "Only register tools matching these globs (repeatable), e.g. \"read_*\".", HelpName = "GLOB" };
        var exclude = new Option<string[]>("--exclude-tools") { Description = "Never register tools matching these globs (repeatable).", HelpName = "GLOB" };
        var protocol = new Option<string>("--protocol-version") { Description = "Require this MCP protocol version (default: negotiate).", HelpName = "VERSION" };
        var disabled = new Option<bool>("--disabled") { Description = "Add it disabled (enable it later with `plugboard mcp enable`)." };
        var replace = new Option<bool>("--replace") { Description = "Replace an existing server of that name (added with `plugboard mcp add`)." };
        var command = new Command("add", "Add an MCP server to the running runtime (remembered across restarts) and start it.")
        {
            name, commandLine, host, url, headers, env, mounts, cwd, tools, exclude, protocol, disabled, replace, NoWaitOption, WaitTimeoutOption,
        };
        command.SetAction(CliApp.Action(async context =>
        {
            var words = context.Get(commandLine) ?? [];
            var endpoint = context.Get(url);
            if (endpoint is null && words.Length == 0)
            {
                throw new CliException(ExitCodes.Usage, "Give the server's command after `--` (e.g. `plugboard mcp add files --host -- npx -y @modelcontextprotocol/server-filesystem /srv`) or its --url.");
            }

            if (endpoint is not null && words.Length > 0)
            {
                throw new CliException(ExitCodes.Usage, "Give either a command (stdio) or --url (Streamable HTTP), not both.");
            }

            var definition = new McpServerDefinition
            {
                Name = context.Get(name)!,
                Transport = endpoint is null ? McpTransportKind.Stdio : McpTransportKind.Http,
                Command = words.Length > 0 ? words[0] : null,
                Arguments = words.Length > 1 ? words[1..] : [],
                Url = endpoint,
                Headers = Pairs(context.Get(headers), "--header", StringComparer.OrdinalIgnoreCase),
                Environment = Pairs(context.Get(env), "--env", StringComparer.Ordinal),
                WorkingDirectory = context.Get(cwd) is { } folder ? Path.GetFullPath(folder) : null,
                Location = context.Get(host) ? McpServerLocation.Host : McpServerLocation.Box,
                BoxMounts = [.. (context.Get(mounts) ?? []).Select(Path.GetFullPath)],
                Enabled = !context.Get(disabled),
                AllowedTools = context.Get(tools) ?? [],
                DeniedTools = context.Get(exclude) ?? [],
                ProtocolVersion = context.Get(protocol),
            };
            using var progress = new Progress();
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            progress.Step($"Adding MCP server {definition.Name}");
            var status = await CallAsync(client, McpControlMethods.Add, McpControlMethods.Params(new McpAddParams(definition, context.Get(replace)), McpCliJsonContext.Default.McpAddParams), McpCliJsonContext.Default.McpServerStatus, context.CancellationToken).ConfigureAwait(false);
            progress.Done($"Added {status.Name} ({Where(status.Definition)})");
            if (definition.Enabled && !context.Get(NoWaitOption))
            {
                await WaitRunningAsync(context, client, progress, definition.Name).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Simple(string verb, string description, string method, string pastTense, bool wait)
    {
        var name = NameArgument();
        var command = new Command(verb, description) { name };
        if (wait)
        {
            command.Options.Add(NoWaitOption);
            command.Options.Add(WaitTimeoutOption);
        }

        command.SetAction(CliApp.Action(async context =>
        {
            var server = context.Get(name)!;
            using var progress = new Progress();
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            progress.Step($"{char.ToUpperInvariant(verb[0])}{verb[1..].TrimEnd('e')}ing {server}");
            await CallAsync<JsonElement>(client, method, McpControlMethods.Params(new McpNameParams(server), McpCliJsonContext.Default.McpNameParams), null, context.CancellationToken).ConfigureAwait(false);
            progress.Done($"{pastTense} {server}");
            if (wait && !context.Get(NoWaitOption))
            {
                await WaitRunningAsync(context, client, progress, server).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Logs()
    {
        var name = NameArgument();
        var lines = new Option<int>("--lines", "-n") { Description = "How many of the last lines to print.", DefaultValueFactory = _ => 200, HelpName = "N" };
        var command = new Command("logs", "Print an MCP server's recent stderr lines.") { name, lines };
        command.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var logs = await CallAsync(client, McpControlMethods.Logs, McpControlMethods.Params(new McpLogsParams(context.Get(name)!, context.Get(lines)), McpCliJsonContext.Default.McpLogsParams), McpCliJsonContext.Default.StringArray, context.CancellationToken).ConfigureAwait(false);
            foreach (var line in logs)
            {
                await context.Out.WriteLineAsync(line).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Serve()
    {
        var command = new Command(
            "serve",
            "Serve Plugboard's tools over MCP on stdin/stdout (for MCP clients that start a server process). Runs the runtime in this process with the same settings as `plugboard run`; logs go to stderr.");
        command.SetAction(CliApp.Action(async context =>
        {
            var settings = context.LoadSettings();
            McpCli.Validate(settings);
            Directory.CreateDirectory(settings.DataDirectory);
            using var dataLock = LockDataFolder(settings);
            var services = new ServiceCollection();
            services.AddLogging(logging => logging
                .SetMinimumLevel(settings.Logging.Level)
                .AddFilter("ModelContextProtocol", LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            services.AddPlugboard(options =>
            {
                settings.Apply(options);
                McpSettings.Apply(settings, options);
            });
            await using var provider = services.BuildServiceProvider();
            var runtime = provider.GetRequiredService<PlugboardRuntime>();
            var options = provider.GetRequiredService<IOptions<PlugboardOptions>>().Value;
            var loggers = provider.GetRequiredService<ILoggerFactory>();
            await runtime.StartAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                using var server = new PlugboardMcpServer(runtime, runtime, options.Mcp.Serve, loggers);
                McpCliLog.ServingStdio(loggers.CreateLogger("Plugboard.Cli.Mcp"), server.ListTools().Count, settings.DataDirectory);
                await using var transport = new StdioServerTransport(options.Mcp.Serve.ServerName, loggers);
                try
                {
                    await server.RunSessionAsync(transport, "stdio", context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C: stop like the end of input.
                }
            }
            finally
            {
                await runtime.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }, handleInterrupt: true));
        return command;
    }

    /// <summary>The same exclusive lock <c>plugboard run</c> takes: two runtimes must never share a data folder.</summary>
    private static FileStream LockDataFolder(PlugboardSettings settings)
    {
        try
        {
            return new FileStream(Path.Combine(settings.DataDirectory, "runtime.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            string where;
            try
            {
                var info = ControlTarget.ReadInfoFile(settings);
                where = $" Point your MCP client at its Streamable HTTP endpoint {info.HealthUrl[..^"/healthz".Length]}{McpHttpEndpoint.Path} with 'Authorization: Bearer <token from {info.ControlTokenFile}>',";
            }
            catch (Exception readError) when (readError is CliException or IOException or JsonException)
            {
                where = string.Empty;
            }

            throw new CliException(ExitCodes.AlreadyRunning, $"A Plugboard runtime is already running with the data folder {settings.DataDirectory}.{where} or serve another data folder with --data-dir.", ex);
        }
    }

    private static async Task WaitRunningAsync(CommandContext context, ControlClient client, Progress progress, string server)
    {
        progress.Step($"Waiting for {server} to be Running");
        try
        {
            var status = await CallAsync(client, McpControlMethods.WaitUntilRunning, McpControlMethods.Params(new McpWaitParams(server, context.Get(WaitTimeoutOption) * 1000), McpCliJsonContext.Default.McpWaitParams), McpCliJsonContext.Default.McpServerStatus, context.CancellationToken).ConfigureAwait(false);
            progress.Done($"{server} is Running with {status.Tools.Count} tool(s){(status.ServerInfo is { } info ? $" ({info})" : string.Empty)}");
        }
        catch (CliException ex)
        {
            progress.Fail($"{server} did not reach Running");
            var logs = await CallAsync(client, McpControlMethods.Logs, McpControlMethods.Params(new McpLogsParams(server, 15), McpCliJsonContext.Default.McpLogsParams), McpCliJsonContext.Default.StringArray, context.CancellationToken).ConfigureAwait(false);
            var tail = logs.Length == 0 ? " (it wrote nothing to stderr)" : Environment.NewLine + string.Join(Environment.NewLine, logs.Select(l => "  | " + l));
            throw new CliException(ExitCodes.Failed, $"{ex.Message}{Environment.NewLine}Last stderr lines of {server}:{tail}", ex);
        }
    }

    private static async Task<T> CallAsync<T>(ControlClient client, string method, JsonElement parameters, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>? result, CancellationToken cancellationToken)
    {
        var answer = await client.CallAsync<JsonElement>(method, parameters.ValueKind == JsonValueKind.Undefined ? null : parameters, cancellationToken).ConfigureAwait(false);
        return result is null ? default! : answer.Deserialize(result)!;
    }

    private static Dictionary<string, string> Pairs(string[]? values, string option, StringComparer comparer)
    {
        var result = new Dictionary<string, string>(comparer);
        foreach (var value in values ?? [])
        {
            var split = value.IndexOf('=', StringComparison.Ordinal);
            if (split <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"{option} takes NAME=VALUE (got '{value}').");
            }

            result[value[..split]] = value[(split + 1)..];
        }

        return result;
    }

    private static string Where(McpServerDefinition definition)
        => definition.Transport == McpTransportKind.Http ? definition.Url! : definition.Location == McpServerLocation.Host ? "stdio on this machine" : "stdio inside a Box session";
}
