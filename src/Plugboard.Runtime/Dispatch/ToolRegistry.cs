using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Dispatch;

/// <summary>
/// One registry of tools across plugins. A tool's qualified name is <c>plugin-id/tool</c>; a bare name resolves when
/// exactly one plugin serves it, otherwise the caller gets an error listing the qualified names.
/// </summary>
internal sealed class ToolRegistry
{
    private readonly ConcurrentDictionary<string, RegisteredTool> _tools = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    public ToolRegistry(ILogger logger) => _logger = logger;

    /// <summary>Replaces the tools of one plugin.</summary>
    public void SetPluginTools(string pluginId, IEnumerable<ToolDescriptor> tools)
    {
        RemovePlugin(pluginId);
        foreach (var tool in tools)
        {
            JsonSchemaValidator? validator = null;
            if (tool.Parameters is { } schema)
            {
                JsonSchemaValidator.TryCreate(schema, out validator, out _);
            }

            var registered = new RegisteredTool(pluginId, tool, validator);
            _tools[registered.QualifiedName] = registered;
        }

        foreach (var group in _tools.Values.GroupBy(t => t.Descriptor.Name).Where(g => g.Count() > 1))
        {
            if (group.Any(t => t.PluginId == pluginId))
            {
                RuntimeLog.ToolCollision(_logger, group.Key, string.Join(", ", group.Select(t => t.QualifiedName).Order(StringComparer.Ordinal)));
            }
        }
    }

    public void RemovePlugin(string pluginId)
    {
        foreach (var key in _tools.Keys)
        {
            if (_tools.TryGetValue(key, out var tool) && tool.PluginId == pluginId)
            {
                _tools.TryRemove(key, out _);
            }
        }
    }

    public IReadOnlyList<ToolInfo> List() => [.. _tools.Values
        .OrderBy(t => t.QualifiedName, StringComparer.Ordinal)
        .Select(t => new ToolInfo(t.QualifiedName, t.PluginId, t.Descriptor.Description, t.Descriptor.Parameters))];

    /// <summary>Finds a tool by qualified or unambiguous bare name, or throws a typed error.</summary>
    public RegisteredTool Resolve(string name)
    {
        if (_tools.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var matches = _tools.Values.Where(t => t.Descriptor.Name == name).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw JsonRpcException.WithData(PlugboardErrorCodes.ToolNotFound, $"No tool named '{name}'. List tools with tool/list (qualified names are plugin-id/tool).", ("tool", name)),
            _ => throw JsonRpcException.WithData(PlugboardErrorCodes.ToolNotFound, $"Tool name '{name}' is ambiguous; use one of: {string.Join(", ", matches.Select(m => m.QualifiedName).Order(StringComparer.Ordinal))}.", ("tool", name)),
        };
    }

    /// <summary>Validates arguments against the tool's schema; throws <see cref="PlugboardErrorCodes.ToolArgumentsInvalid"/> listing every problem.</summary>
    public static void ValidateArguments(RegisteredTool tool, JsonElement arguments)
    {
        if (tool.Validator is null)
        {
            return;
        }

        var errors = tool.Validator.Validate(arguments);
        if (errors.Count == 0)
        {
            return;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("tool", tool.QualifiedName);
            writer.WriteStartArray("errors");
            foreach (var error in errors)
            {
                writer.WriteStartObject();
                writer.WriteString("path", error.Path);
                writer.WriteString("keyword", error.Keyword);
                writer.WriteString("message", error.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        throw new JsonRpcException(
            PlugboardErrorCodes.ToolArgumentsInvalid,
            $"Invalid arguments for tool '{tool.QualifiedName}': {string.Join("; ", errors.Select(e => e.ToString()))}",
            document.RootElement.Clone());
    }
}

/// <summary>A tool in the registry.</summary>
internal sealed record RegisteredTool(string PluginId, ToolDescriptor Descriptor, JsonSchemaValidator? Validator)
{
    public string QualifiedName { get; } = $"{PluginId}/{Descriptor.Name}";
}
