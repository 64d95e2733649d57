using System.Text.Json;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Mcp;

/// <summary>
/// The hosted MCP servers of a runtime: definitions, supervision state, resources and prompts. Their tools live in the
/// runtime's tool registry as <c>mcp.&lt;server&gt;.&lt;tool&gt;</c> (<see cref="IPlugboardRuntime.GetTools"/>,
/// <see cref="IPlugboardRuntime.InvokeToolAsync"/>). Errors are <see cref="Protocol.JsonRpc.JsonRpcException"/>s with a
/// <see cref="Protocol.Contracts.PlugboardErrorCodes"/> code (<c>Mcp*</c>), so they cross the control endpoint unchanged.
/// </summary>
public interface IPlugboardMcp
{
    /// <summary>Raised on every state transition of a hosted MCP server.</summary>
    event EventHandler<McpServerStateChangedEventArgs>? McpServerStateChanged;

    /// <summary>All hosted MCP servers, ordered by name.</summary>
    IReadOnlyList<McpServerStatus> GetMcpServers();

    /// <summary>One server; throws <see cref="Protocol.Contracts.PlugboardErrorCodes.McpServerNotFound"/> if unknown.</summary>
    McpServerStatus GetMcpServer(string name);

    /// <summary>The last stderr lines of a stdio server, oldest first.</summary>
    IReadOnlyList<string> GetMcpServerLogs(string name, int maxLines = 200);

    /// <summary>
    /// Adds a server (persisted in the runtime's storage) and starts it when enabled. With <paramref name="replace"/>, an
    /// existing server added through the API is replaced; servers from the configuration cannot be replaced.
    /// </summary>
    Task<McpServerStatus> AddMcpServerAsync(McpServerDefinition definition, bool replace = false, CancellationToken cancellationToken = default);

    /// <summary>Stops and deletes a server added through the API.</summary>
    Task RemoveMcpServerAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Enables a server (persisted) and starts it.</summary>
    Task EnableMcpServerAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops a server and disables it (persisted); its tools leave the registry.</summary>
    Task DisableMcpServerAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Restarts a server (also brings a Failed one back).</summary>
    Task RestartMcpServerAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Waits until a server is Running; throws if it is Failed, Disabled or Stopped.</summary>
    Task WaitUntilMcpServerRunningAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The resources and resource templates of one running server, or of every running server when <paramref name="server"/> is null.</summary>
    Task<IReadOnlyList<McpResourceInfo>> ListMcpResourcesAsync(string? server = null, CancellationToken cancellationToken = default);

    /// <summary>Reads a resource; the result is the MCP <c>ReadResourceResult</c> (<c>{"contents":[...]}</c>).</summary>
    Task<JsonElement> ReadMcpResourceAsync(string server, string uri, CancellationToken cancellationToken = default);

    /// <summary>The prompts of one running server, or of every running server when <paramref name="server"/> is null.</summary>
    Task<IReadOnlyList<McpPromptInfo>> ListMcpPromptsAsync(string? server = null, CancellationToken cancellationToken = default);

    /// <summary>Gets a prompt; the result is the MCP <c>GetPromptResult</c> (<c>{"messages":[...]}</c>).</summary>
    Task<JsonElement> GetMcpPromptAsync(string server, string prompt, IReadOnlyDictionary<string, JsonElement>? arguments = null, CancellationToken cancellationToken = default);
}

/// <summary>Where a hosted MCP server's definition comes from.</summary>
public enum McpServerSource
{
    /// <summary>The runtime configuration (<see cref="McpOptions.Servers"/>); remove it there.</summary>
    Config,

    /// <summary>Added through the runtime API, the control endpoint or <c>plugboard mcp add</c>; kept in the runtime's storage.</summary>
    Storage,
}

/// <summary>A hosted MCP server's status.</summary>
/// <param name="Name">The server name.</param>
/// <param name="Source">Where its definition comes from.</param>
/// <param name="State">Its supervision state (the plugin states: Starting, Running, Restarting, Failed, Disabled, ...).</param>
/// <param name="Enabled">Whether it is enabled.</param>
/// <param name="Tools">The registry names of its tools (after the allow/deny lists), while known.</param>
/// <param name="ProcessId">Its process id when it runs on the host.</param>
/// <param name="RestartCount">How many times it was restarted after crashes.</param>
/// <param name="LastError">The last crash or failure reason.</param>
/// <param name="ServerInfo">The name and version the server announced, when connected.</param>
/// <param name="ProtocolVersion">The negotiated MCP protocol version, when connected.</param>
/// <param name="Definition">The definition with secret values redacted.</param>
public sealed record McpServerStatus(
    string Name,
    McpServerSource Source,
    PluginState State,
    bool Enabled,
    IReadOnlyList<string> Tools,
    int? ProcessId,
    int RestartCount,
    string? LastError,
    string? ServerInfo,
    string? ProtocolVersion,
    McpServerDefinition Definition);

/// <summary>A hosted MCP server's state transition.</summary>
public sealed class McpServerStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public McpServerStateChangedEventArgs(string name, PluginState previous, PluginState current, string? reason)
    {
        Name = name;
        Previous = previous;
        Current = current;
        Reason = reason;
    }

    /// <summary>The server name.</summary>
    public string Name { get; }

    /// <summary>The state before.</summary>
    public PluginState Previous { get; }

    /// <summary>The state now.</summary>
    public PluginState Current { get; }

    /// <summary>Why the transition happened, when not obvious.</summary>
    public string? Reason { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; } = DateTimeOffset.UtcNow;
}

/// <summary>A resource (or resource template) of a hosted MCP server.</summary>
/// <param name="Server">The server name.</param>
/// <param name="Uri">The resource URI, or the URI template (RFC 6570) when <paramref name="IsTemplate"/>.</param>
/// <param name="Name">The resource's name.</param>
/// <param name="Title">Its display title, if any.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="MimeType">Its MIME type, if known.</param>
/// <param name="IsTemplate">Whether <paramref name="Uri"/> is a template.</param>
public sealed record McpResourceInfo(string Server, string Uri, string Name, string? Title, string? Description, string? MimeType, bool IsTemplate);

/// <summary>A prompt of a hosted MCP server.</summary>
/// <param name="Server">The server name.</param>
/// <param name="Name">The prompt name as the server knows it.</param>
/// <param name="Title">Its display title, if any.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Arguments">Its arguments.</param>
public sealed record McpPromptInfo(string Server, string Name, string? Title, string? Description, IReadOnlyList<McpPromptArgumentInfo> Arguments);

/// <summary>An argument of a prompt.</summary>
/// <param name="Name">The argument name.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Required">Whether it is required.</param>
public sealed record McpPromptArgumentInfo(string Name, string? Description, bool Required);
