using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk.Hosting;

/// <summary>A registered listener.</summary>
internal sealed record ListenerRegistration(string Name, IReadOnlyList<string> Events, int Priority, Func<EventContext, ValueTask> Handler, Type? HandlerType)
{
    public ListenerDescriptor ToDescriptor() => new(Name, Events, Priority);
}

/// <summary>A registered command.</summary>
internal sealed record CommandRegistration(string Name, IReadOnlyList<string> Aliases, string? Usage, string? Description, Func<CommandContext, ValueTask<int>> Handler, Type? HandlerType)
{
    public CommandDescriptor ToDescriptor() => new(Name, Description, Aliases.Count == 0 ? null : Aliases, Usage);
}

/// <summary>A registered tool: its metadata and a JSON-level invoker that binds the typed handler.</summary>
internal sealed class ToolRegistration
{
    private ToolRegistration(string name, string? description, Type argumentsType, Func<JsonElement, ToolContext, ValueTask<JsonElement>> invoke, Type? handlerType)
    {
        Name = name;
        Description = description;
        ArgumentsType = argumentsType;
        Invoke = invoke;
        HandlerType = handlerType;
    }

    public string Name { get; }

    public string? Description { get; }

    public Type ArgumentsType { get; }

    public Type? HandlerType { get; }

    public Func<JsonElement, ToolContext, ValueTask<JsonElement>> Invoke { get; }

    public static ToolRegistration Create<TArgs, TResult>(string name, string? description, Func<TArgs, ToolContext, ValueTask<TResult>> handler, Type? handlerType)
        => new(name, description, typeof(TArgs), async (arguments, context) =>
        {
            var options = context.SerializerOptions;
            var value = BindArguments<TArgs>(name, arguments, options);
            var result = await handler(value, context).ConfigureAwait(false);
            return JsonSerializer.SerializeToElement(result, options.GetTypeInfo(typeof(TResult)));
        }, handlerType);

    private static TArgs BindArguments<TArgs>(string tool, JsonElement arguments, JsonSerializerOptions options)
    {
        var info = options.GetTypeInfo(typeof(TArgs));
        try
        {
            var value = arguments.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
                ? JsonSerializer.Deserialize("{}"u8, info)
                : arguments.Deserialize(info);
            return value is TArgs typed
                ? typed
                : throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, $"Invalid arguments for tool '{tool}': expected a JSON object, got {arguments.ValueKind}.", ("tool", tool));
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
            throw JsonRpcException.WithData(
                PlugboardErrorCodes.ToolArgumentsInvalid,
                $"Invalid arguments for tool '{tool}'{where}: {ex.Message} Check the arguments against the tool's parameter schema.",
                ("tool", tool),
                ("path", ex.Path),
                ("detail", ex.Message));
        }
    }
}
