using System.CommandLine;
using System.Text.Json;
using Plugboard.Cli.Control;
using Plugboard.Cli.Output;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime.Dispatch;

namespace Plugboard.Cli.Commands;

/// <summary><c>plugboard tool ...</c>, <c>plugboard event dispatch</c> and <c>plugboard command run</c>.</summary>
internal static class ToolCommands
{
    public static Command BuildTool()
    {
        var command = new Command("tool", "List and invoke the tools of a running runtime.");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var list = new Command("list", "List the registered tools.") { json };
        list.Aliases.Add("ls");
        list.SetAction(CliApp.Action(async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var tools = await client.CallAsync<ToolInfo[]>(ControlMethods.ToolList, null, context.CancellationToken).ConfigureAwait(false);
            if (context.Get(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(tools, CliJsonContext.Indented.GetTypeInfo(typeof(ToolInfo[])))).ConfigureAwait(false);
            }
            else if (tools.Length == 0)
            {
                await context.Out.WriteLineAsync("No tools. Plugins declare tools in plugin.json; see `plugboard plugin list` for their states.").ConfigureAwait(false);
            }
            else
            {
                Table.Write(context.Out, ["NAME", "PLUGIN", "DESCRIPTION"], tools.Select(t => (IReadOnlyList<string>)[t.Name, t.PluginId, t.Description ?? string.Empty]));
            }

            return ExitCodes.Success;
        }));
        command.Subcommands.Add(list);

        var name = new Argument<string>("name") { Description = "The tool: plugin-id/tool, or just tool when no other plugin has one of that name." };
        var arguments = new Argument<string>("arguments") { Description = "The arguments as a JSON object.", DefaultValueFactory = _ => "{}" };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds before the call is cancelled (default: the runtime's limits:toolTimeout).", HelpName = "SECONDS" };
        var invoke = new Command("invoke", "Invoke a tool and print its JSON result (progress goes to stderr).") { name, arguments, timeout };
        invoke.Aliases.Add("call");
        invoke.SetAction(CliApp.Action(async context =>
        {
            var args = ParseJson(context.Get(arguments)!, "arguments", requireObject: true);
            var error = context.Error;
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            using var registration = client.Connection.RegisterProgress(new ActionProgress<JsonElement>(value => error.WriteLine($"progress: {value.GetRawText()}")));
            var request = new ToolInvokeRequest(context.Get(name)!, args, context.Get(timeout) is { } seconds ? (int)(seconds * 1000) : null, registration.Token);
            var result = await client.CallAsync<JsonElement>(ControlMethods.ToolInvoke, request, context.CancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(result, CliJsonContext.Indented.GetTypeInfo(typeof(JsonElement)))).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(invoke);
        return command;
    }

    public static Command BuildEvent()
    {
        var command = new Command("event", "Send events into a running runtime.");
        var type = new Argument<string>("type") { Description = "The event type, e.g. message.received." };
        var data = new Argument<string>("data") { Description = "The payload as JSON.", DefaultValueFactory = _ => "{}" };
        var bot = new Option<string>("--bot") { Description = "The bot the event concerns.", HelpName = "ID" };
        var dispatch = new Command("dispatch", "Deliver an event to the matching listeners (by priority) and print what each did.") { type, data, bot };
        dispatch.SetAction(CliApp.Action(async context =>
        {
            var payload = ParseJson(context.Get(data)!, "data", requireObject: false);
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var outcome = await client.CallAsync<EventDispatchOutcome>(ControlMethods.EventDispatch, new EventDispatchRequest(context.Get(type)!, payload, BotId: context.Get(bot)), context.CancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(outcome, CliJsonContext.Indented.GetTypeInfo(typeof(EventDispatchOutcome)))).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(dispatch);
        return command;
    }

    public static Command BuildCommand()
    {
        var command = new Command("command", "Run plugin commands (chat commands such as /weather) in a running runtime.");
        var name = new Argument<string>("name") { Description = "The command name or alias, without prefix." };
        var rest = new Argument<string[]>("arguments") { Description = "The command's arguments.", Arity = ArgumentArity.ZeroOrMore };
        var run = new Command("run", "Run a command, streaming its output; exits with the command's exit code.") { name, rest };
        run.SetAction(CliApp.Action(async context =>
        {
            var output = context.Out;
            var streamed = false;
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            using var registration = client.Connection.RegisterProgress(new ActionProgress<string>(chunk =>
            {
                streamed = true;
                output.Write(chunk);
            }));
            var result = await client.CallAsync<CommandExecuteResult>(ControlMethods.CommandExecute, new CommandExecuteRequest(context.Get(name)!, context.Get(rest) ?? [], registration.Token), context.CancellationToken).ConfigureAwait(false);
            if (!streamed && result.Output is { } text)
            {
                await output.WriteLineAsync(text).ConfigureAwait(false);
            }

            return result.ExitCode;
        }));
        command.Subcommands.Add(run);
        return command;
    }

    private static JsonElement ParseJson(string text, string what, bool requireObject)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (requireObject && document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliException(ExitCodes.Usage, $"The {what} must be a JSON object such as '{{\"city\":\"Paris\"}}' (got {document.RootElement.ValueKind}).");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, $"The {what} are not valid JSON ({ex.Message}). Quote them for the shell, e.g. '{{\"city\":\"Paris\"}}'.", ex);
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that runs the callback synchronously, in order.</summary>
    private sealed class ActionProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

