using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Mcp;

namespace Plugboard.Cli.Mcp;

/// <summary>
/// The control endpoint's MCP methods (mirroring <see cref="IPlugboardMcp"/>); docs/mcp.md is the reference. Parameters
/// and results are serialized with <see cref="McpCliJsonContext"/> (enums as strings).
/// </summary>
internal static class McpControlMethods
{
    /// <summary>Every hosted MCP server → <see cref="McpServerStatus"/>[].</summary>
    public const string List = "mcp/list";

    /// <summary>One server (<see cref="McpNameParams"/> → <see cref="McpServerStatus"/>).</summary>
    public const string Get = "mcp/get";

    /// <summary>Add (or replace) a server (<see cref="McpAddParams"/> → <see cref="McpServerStatus"/>).</summary>
    public const string Add = "mcp/add";

    /// <summary>Stop and delete a server added through the API (<see cref="McpNameParams"/>).</summary>
    public const string Remove = "mcp/remove";

    /// <summary>Enable (persisted) and start a server (<see cref="McpNameParams"/>).</summary>
    public const string Enable = "mcp/enable";

    /// <summary>Stop and disable (persisted) a server (<see cref="McpNameParams"/>).</summary>
    public const string Disable = "mcp/disable";

    /// <summary>Restart a server, also a Failed one (<see cref="McpNameParams"/>).</summary>
    public const string Restart = "mcp/restart";

    /// <summary>Wait until a server is Running (<see cref="McpWaitParams"/> → <see cref="McpServerStatus"/>).</summary>
    public const string WaitUntilRunning = "mcp/waitUntilRunning";

    /// <summary>A server's last stderr lines (<see cref="McpLogsParams"/> → <c>string[]</c>).</summary>
    public const string Logs = "mcp/logs";

    /// <summary>Resources and templates of one or every running server (<see cref="McpServerFilterParams"/> → <see cref="McpResourceInfo"/>[]).</summary>
    public const string Resources = "mcp/resources";

    /// <summary>Read a resource (<see cref="McpReadResourceParams"/> → MCP <c>ReadResourceResult</c>).</summary>
    public const string ReadResource = "mcp/readResource";

    /// <summary>Prompts of one or every running server (<see cref="McpServerFilterParams"/> → <see cref="McpPromptInfo"/>[]).</summary>
    public const string Prompts = "mcp/prompts";

    /// <summary>Get a prompt (<see cref="McpGetPromptParams"/> → MCP <c>GetPromptResult</c>).</summary>
    public const string GetPrompt = "mcp/getPrompt";

    /// <summary>Registers the methods on one control connection.</summary>
    public static void Register(JsonRpcConnection connection, PlugboardRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(runtime);
        var c = McpCliJsonContext.Default;
        connection.AddMethod<JsonElement, JsonElement>(List, _ => Result([.. runtime.GetMcpServers()], c.McpServerStatusArray));
        connection.AddMethod<JsonElement, JsonElement>(Get, p => Result(runtime.GetMcpServer(Read(p, c.McpNameParams).Name), c.McpServerStatus));
        connection.AddMethod<JsonElement, JsonElement>(Add, async (p, context) =>
        {
            var request = Read(p, c.McpAddParams);
            var definition = request.Definition ?? throw Missing("definition");
            return Result(await runtime.AddMcpServerAsync(definition, request.Replace, context.CancellationToken).ConfigureAwait(false), c.McpServerStatus);
        });
        AddAction(connection, Remove, (name, ct) => runtime.RemoveMcpServerAsync(name, ct));
        AddAction(connection, Enable, (name, ct) => runtime.EnableMcpServerAsync(name, ct));
        AddAction(connection, Disable, (name, ct) => runtime.DisableMcpServerAsync(name, ct));
        AddAction(connection, Restart, (name, ct) => runtime.RestartMcpServerAsync(name, ct));
        connection.AddMethod<JsonElement, JsonElement>(WaitUntilRunning, async (p, context) =>
        {
            var request = Read(p, c.McpWaitParams);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, request.TimeoutMs)));
            try
            {
                await runtime.WaitUntilMcpServerRunningAsync(Required(request.Name, "name"), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                var status = runtime.GetMcpServer(request.Name);
                throw JsonRpcException.WithData(JsonRpcErrorCodes.Timeout, $"MCP server {request.Name} is still {status.State} after {request.TimeoutMs} ms.{(status.LastError is null ? string.Empty : " Last error: " + status.LastError)} See `plugboard mcp logs {request.Name}`.", ("server", request.Name), ("state", status.State.ToString()));
            }

            return Result(runtime.GetMcpServer(request.Name), c.McpServerStatus);
        });
        connection.AddMethod<JsonElement, JsonElement>(Logs, p =>
        {
            var request = Read(p, c.McpLogsParams);
            return Result([.. runtime.GetMcpServerLogs(Required(request.Name, "name"), Math.Max(0, request.MaxLines))], c.StringArray);
        });
        connection.AddMethod<JsonElement, JsonElement>(Resources, async (p, context) =>
            Result([.. await runtime.ListMcpResourcesAsync(Read(p, c.McpServerFilterParams).Server, context.CancellationToken).ConfigureAwait(false)], c.McpResourceInfoArray));
        connection.AddMethod<JsonElement, JsonElement>(ReadResource, async (p, context) =>
        {
            var request = Read(p, c.McpReadResourceParams);
            return await runtime.ReadMcpResourceAsync(Required(request.Server, "server"), Required(request.Uri, "uri"), context.CancellationToken).ConfigureAwait(false);
        });
        connection.AddMethod<JsonElement, JsonElement>(Prompts, async (p, context) =>
            Result([.. await runtime.ListMcpPromptsAsync(Read(p, c.McpServerFilterParams).Server, context.CancellationToken).ConfigureAwait(false)], c.McpPromptInfoArray));
        connection.AddMethod<JsonElement, JsonElement>(GetPrompt, async (p, context) =>
        {
            var request = Read(p, c.McpGetPromptParams);
            return await runtime.GetMcpPromptAsync(Required(request.Server, "server"), Required(request.Name, "name"), request.Arguments, context.CancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>Serializes control parameters for a call.</summary>
    public static JsonElement Params<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToElement(value, typeInfo);

    private static void AddAction(JsonRpcConnection connection, string method, Func<string, CancellationToken, Task> action)
        => connection.AddMethod<JsonElement, JsonElement>(method, async (p, context) =>
        {
            await action(Required(Read(p, McpCliJsonContext.Default.McpNameParams).Name, "name"), context.CancellationToken).ConfigureAwait(false);
            return EmptyObject;
        });

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static T Read<T>(JsonElement parameters, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (parameters.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            parameters = EmptyObject;
        }

        try
        {
            return parameters.Deserialize(typeInfo) ?? throw Missing("params");
        }
        catch (JsonException ex)
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Invalid parameters: {ex.Message}", ("path", ex.Path));
        }
    }

    private static JsonElement Result<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToElement(value, typeInfo);

    private static string Required(string? value, string name) => string.IsNullOrEmpty(value) ? throw Missing(name) : value;

    private static JsonRpcException Missing(string name) => JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' is required.", ("parameter", name));
}

/// <summary>A server name.</summary>
/// <param name="Name">The server name.</param>
internal sealed record McpNameParams(string Name);

/// <summary>A definition to add.</summary>
/// <param name="Definition">The server.</param>
/// <param name="Replace">Whether an existing server (added through the API) is replaced.</param>
internal sealed record McpAddParams(McpServerDefinition? Definition, bool Replace = false);

/// <summary>Wait for a server.</summary>
/// <param name="Name">The server name.</param>
/// <param name="TimeoutMs">How long to wait.</param>
internal sealed record McpWaitParams(string Name, int TimeoutMs = 60_000);

/// <summary>A server's stderr tail.</summary>
/// <param name="Name">The server name.</param>
/// <param name="MaxLines">How many lines.</param>
internal sealed record McpLogsParams(string Name, int MaxLines = 200);

/// <summary>One server, or every running server when null.</summary>
/// <param name="Server">The server name.</param>
internal sealed record McpServerFilterParams(string? Server = null);

/// <summary>A resource to read.</summary>
/// <param name="Server">The server name.</param>
/// <param name="Uri">The resource URI.</param>
internal sealed record McpReadResourceParams(string Server, string Uri);

/// <summary>A prompt to get.</summary>
/// <param name="Server">The server name.</param>
/// <param name="Name">The prompt name.</param>
/// <param name="Arguments">Its arguments.</param>
internal sealed record McpGetPromptParams(string Server, string Name, Dictionary<string, JsonElement>? Arguments = null);

/// <summary>Source-generated serialization of the MCP control messages (enums as camel-case strings).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(McpNameParams))]
[JsonSerializable(typeof(McpAddParams))]
[JsonSerializable(typeof(McpWaitParams))]
[JsonSerializable(typeof(McpLogsParams))]
[JsonSerializable(typeof(McpServerFilterParams))]
[JsonSerializable(typeof(McpReadResourceParams))]
[JsonSerializable(typeof(McpGetPromptParams))]
[JsonSerializable(typeof(McpServerStatus))]
[JsonSerializable(typeof(McpServerStatus[]))]
[JsonSerializable(typeof(McpResourceInfo[]))]
[JsonSerializable(typeof(McpPromptInfo[]))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class McpCliJsonContext : JsonSerializerContext
{
    /// <summary>Indented output for people.</summary>
    public static McpCliJsonContext Indented { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    });
}
