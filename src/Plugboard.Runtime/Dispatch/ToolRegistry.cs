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

    /// <summary>Raised when tools are added or removed (MCP <c>list_changed</c>, control subscribers).</summary>
    public event Action? Changed;

    /// <summary>Replaces the tools of one plugin (qualified as <c>plugin-id/tool</c>, served over the plugin's connection).</summary>
    public void SetPluginTools(string pluginId, IEnumerable<ToolDescriptor> tools)
        => SetSourceTools(pluginId, tools.Select(t => new NativeTool($"{pluginId}/{t.Name}", t, null)));

    /// <summary>
    /// Replaces the tools of one source — a plugin, an MCP server (<c>mcp.&lt;server&gt;.&lt;tool&gt;</c>) or the Box —
    /// each with its qualified name and, for sources that are not plugins, the handler that runs it.
    /// </summary>
    public void SetSourceTools(string source, IEnumerable<NativeTool> tools)
    {
        RemoveSource(source, notify: false);
        foreach (var tool in tools)
        {
            JsonSchemaValidator? validator = null;
            if (tool.Descriptor.Parameters is { } schema)
            {
                JsonSchemaValidator.TryCreate(schema, out validator, out _);
            }

            var registered = new RegisteredTool(source, tool.QualifiedName, tool.Descriptor, validator, tool.Handler);
            _tools[registered.QualifiedName] = registered;
        }

        var pluginId = source;

        foreach (var group in _tools.Values.GroupBy(t => t.Descriptor.Name).Where(g => g.Count() > 1))
        {
            if (group.Any(t => t.PluginId == pluginId))
            {
                RuntimeLog.ToolCollision(_logger, group.Key, string.Join(", ", group.Select(t => t.QualifiedName).Order(StringComparer.Ordinal)));
            }
        }

        Changed?.Invoke();
    }

    public void RemovePlugin(string pluginId) => RemoveSource(pluginId, notify: true);

    /// <summary>Removes every tool of a source.</summary>
    public void RemoveSource(string source, bool notify = true)
    {
        var removed = false;
        foreach (var key in _tools.Keys)
        {
            if (_tools.TryGetValue(key, out var tool) && tool.PluginId == source)
            {
                removed |= _tools.TryRemove(key, out _);
            }
        }

        if (removed && notify)
        {
            Changed?.Invoke();
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

/// <summary>Runs a tool that is not served by a plugin (MCP servers, the Box).</summary>
/// <param name="arguments">The validated arguments.</param>
/// <param name="progress">Receives progress values, if the caller wants them.</param>
/// <param name="cancellationToken">Fires when the caller cancels or the call times out.</param>
internal delegate Task<JsonElement> ToolHandler(JsonElement arguments, IProgress<JsonElement>? progress, CancellationToken cancellationToken);

/// <summary>A tool offered by a source, with its qualified name and (for non-plugin sources) its handler.</summary>
/// <param name="QualifiedName">The registry name, e.g. <c>plugin-id/tool</c> or <c>mcp.files.read_file</c>.</param>
/// <param name="Descriptor">Name (as the source knows it), description and schemas.</param>
/// <param name="Handler">Runs the tool; <see langword="null"/> for plugin tools (served over the plugin's connection).</param>
internal sealed record NativeTool(string QualifiedName, ToolDescriptor Descriptor, ToolHandler? Handler);

/// <summary>A tool in the registry. <see cref="PluginId"/> is the source: a plugin id, <c>mcp.&lt;server&gt;</c> or <c>box</c>.</summary>
internal sealed record RegisteredTool(string PluginId, string QualifiedName, ToolDescriptor Descriptor, JsonSchemaValidator? Validator, ToolHandler? Handler = null);
