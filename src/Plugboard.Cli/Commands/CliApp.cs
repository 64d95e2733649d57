using System.CommandLine;
using Plugboard.Cli.Client;
using Plugboard.Cli.Configuration;

namespace Plugboard.Cli.Commands;

/// <summary>The <c>plugboard</c> command tree, its global options and the error handling every command shares.</summary>
internal static class CliApp
{
    /// <summary>--config FILE (every command).</summary>
    public static readonly Option<string> ConfigOption = new("--config", "-c")
    {
        Description = "The config file (JSON). Default: $PLUGBOARD_CONFIG, else ~/.config/plugboard/plugboard.json if it exists.",
        Recursive = true,
        HelpName = "FILE",
    };

    /// <summary>--data-dir DIR (every command).</summary>
    public static readonly Option<string> DataDirOption = new("--data-dir", "-d")
    {
        Description = "The runtime's data folder (overrides dataDirectory). Default: ~/.local/share/plugboard.",
        Recursive = true,
        HelpName = "DIR",
    };

    /// <summary>--url (commands that talk to a running runtime).</summary>
    public static readonly Option<string> UrlOption = new("--url")
    {
        Description = "The control endpoint, e.g. ws://127.0.0.1:7420/control. Default: read from <data-dir>/runtime.json.",
        Recursive = true,
        HelpName = "URL",
    };

    /// <summary>--token-file (commands that talk to a running runtime).</summary>
    public static readonly Option<string> TokenFileOption = new("--token-file")
    {
        Description = "The control token file. Default: $PLUGBOARD_CONTROL_TOKEN, else control:tokenFile (<data-dir>/control.token).",
        Recursive = true,
        HelpName = "FILE",
    };

    /// <summary>Builds the command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("Plugboard: run the plugin-host runtime and manage its plugins. Docs: docs/cli.md.\nExit codes: 0 success, 1 failed, 2 usage, 3 invalid configuration, 4 no runtime answers, 5 token rejected, 6 plugin/tool/command not found, 7 runtime already running or port taken, 8 plugin does not build or package refused, 130 interrupted.")
        {
            ConfigOption,
            DataDirOption,
            UrlOption,
            TokenFileOption,
            RunCommand.Build(),
            PluginCommands.Build(),
            ToolCommands.BuildTool(),
            ToolCommands.BuildEvent(),
            ToolCommands.BuildCommand(),
            DebugCommands.Build(),
            StatusCommands.BuildStatus(),
            StatusCommands.BuildConfig(),
            Mcp.McpCommands.Build(),
        };
        return root;
    }

    /// <summary>Parses and runs; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = Build();
        var parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
            ProcessTerminationTimeout = null, // Commands handle Ctrl+C themselves (`run` stops plugins gracefully).
            EnableDefaultExceptionHandler = false,
        };
        if (parseResult.Errors.Count > 0)
        {
            foreach (var parseError in parseResult.Errors)
            {
                configuration.Error.WriteLine($"error: {parseError.Message}");
            }

            var name = string.Join(' ', parseResult.CommandResult.Command.Name == root.Name ? [] : CommandPath(parseResult));
            configuration.Error.WriteLine($"Run `plugboard {name}{(name.Length > 0 ? " " : string.Empty)}--help` for usage.");
            return ExitCodes.Usage;
        }

        return await parseResult.InvokeAsync(configuration).ConfigureAwait(false);
    }

    /// <summary>Wraps a command body: settings, Ctrl+C, and errors printed with their exit code.</summary>
    /// <param name="body">The command.</param>
    /// <param name="handleInterrupt">Whether Ctrl+C cancels <see cref="CommandContext.CancellationToken"/> (false for <c>run</c>, whose host handles signals).</param>
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<CommandContext, Task<int>> body, bool handleInterrupt = true) => async (parseResult, _) =>
    {
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        if (handleInterrupt)
        {
            Console.CancelKeyPress += onCancel;
        }

        var error = parseResult.InvocationConfiguration.Error;
        try
        {
            var context = new CommandContext(parseResult, interrupt.Token);
            return await body(context).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            await error.WriteLineAsync("Interrupted.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    };

    private static IEnumerable<string> CommandPath(ParseResult parseResult)
    {
        var names = new Stack<string>();
        for (var result = parseResult.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Push(result.Command.Name);
        }

        return names;
    }
}

/// <summary>What a command body gets: parsed values, output writers, Ctrl+C, settings and the control client.</summary>
internal sealed class CommandContext(ParseResult parseResult, CancellationToken cancellationToken)
{
    private PlugboardSettings? _settings;

    public ParseResult ParseResult { get; } = parseResult;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TextWriter Out => ParseResult.InvocationConfiguration.Output;

    public TextWriter Error => ParseResult.InvocationConfiguration.Error;

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>The settings from --config, the environment and --data-dir (plus <paramref name="request"/> additions).</summary>
    public PlugboardSettings LoadSettings(Func<SettingsRequest, SettingsRequest>? request = null)
    {
        if (_settings is not null && request is null)
        {
            return _settings;
        }

        var baseRequest = new SettingsRequest
        {
            ConfigFile = Get(CliApp.ConfigOption),
            DataDirectory = Get(CliApp.DataDirOption),
        };
        try
        {
            var settings = SettingsLoader.Load(request is null ? baseRequest : request(baseRequest));
            if (request is null)
            {
                _settings = settings;
            }

            return settings;
        }
        catch (SettingsException ex)
        {
            throw new CliException(ExitCodes.ConfigInvalid, ex.Message, ex);
        }
    }

    /// <summary>Connects to the running runtime's control endpoint.</summary>
    public Task<ControlClient> ConnectAsync(Action<Protocol.JsonRpc.JsonRpcConnection>? configure = null)
    {
        var settings = LoadSettings();
        var target = ControlTarget.Resolve(settings, Get(CliApp.UrlOption), Get(CliApp.TokenFileOption));
        return ControlClient.ConnectAsync(target, CancellationToken, configure);
    }
}
