using System.Text.Json;

namespace Plugboard.Runtime.Plugins;

/// <summary>The components a plugin provides.</summary>
public sealed class PluginComponents
{
    /// <summary>Event subscriptions.</summary>
    public IReadOnlyList<ListenerComponent> Listeners { get; init => field = value ?? []; } = [];

    /// <summary>Tools that agents and other plugins can call.</summary>
    public IReadOnlyList<ToolComponent> Tools { get; init => field = value ?? []; } = [];

    /// <summary>Chat commands.</summary>
    public IReadOnlyList<CommandComponent> Commands { get; init => field = value ?? []; } = [];

    /// <summary>Chat-platform adapters.</summary>
    public IReadOnlyList<AdapterComponent> Adapters { get; init => field = value ?? []; } = [];
}

/// <summary>An event subscription: which events the plugin receives and in which order relative to other listeners.</summary>
public sealed class ListenerComponent
{
    /// <summary>
    /// Event patterns: an exact type (<c>message.received</c>), a namespace prefix (<c>message.*</c>, which matches
    /// <c>message.received</c> and <c>message.reaction</c> but not <c>message</c>), or <c>*</c> for every event.
    /// </summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Dispatch order: listeners with a higher priority run first. Default 0.</summary>
    public int Priority { get; init; }
}

/// <summary>A tool: a function with JSON Schema typed parameters that agents and other plugins can invoke.</summary>
public sealed class ToolComponent
{
    /// <summary>The tool name, unique within the plugin: letters, digits, <c>_</c> and <c>-</c>, 1 to 64 characters.</summary>
    public required string Name { get; init; }

    /// <summary>What the tool does and when to use it (shown to language models).</summary>
    public required string Description { get; init; }

    /// <summary>A JSON Schema for the arguments object (its <c>type</c> must be <c>object</c>).</summary>
    public required JsonElement Parameters { get; init; }

    /// <summary>An optional JSON Schema for the tool's result.</summary>
    public JsonElement? Result { get; init; }
}

/// <summary>A chat command such as <c>/weather</c>.</summary>
public sealed class CommandComponent
{
    /// <summary>The command name without prefix, unique within the plugin (names and aliases together).</summary>
    public required string Name { get; init; }

    /// <summary>Other names for the command.</summary>
    public IReadOnlyList<string> Aliases { get; init => field = value ?? []; } = [];

    /// <summary>How to call it, e.g. <c>weather &lt;city&gt; [days]</c>.</summary>
    public string? Usage { get; init; }

    /// <summary>What the command does.</summary>
    public string? Description { get; init; }
}

/// <summary>A chat-platform adapter: connects bots on one platform and declares what that platform supports.</summary>
public sealed class AdapterComponent
{
    /// <summary>The platform name, unique within the plugin: lowercase letters, digits, <c>_</c> and <c>-</c> (e.g. <c>qqbot</c>).</summary>
    public required string Platform { get; init; }

    /// <summary>The platform name shown to people.</summary>
    public string? DisplayName { get; init; }

    /// <summary>What the adapter connects to.</summary>
    public string? Description { get; init; }

    /// <summary>The per-bot configuration fields (credentials, endpoints).</summary>
    public IReadOnlyList<ConfigField> Config { get; init => field = value ?? []; } = [];

    /// <summary>The event types the adapter emits, e.g. <c>message.received</c>.</summary>
    public IReadOnlyList<string> Events { get; init => field = value ?? []; } = [];

    /// <summary>The adapter API methods it implements beyond the required ones, e.g. <c>editMessage</c>, <c>callPlatformApi</c>.</summary>
    public IReadOnlyList<string> Apis { get; init => field = value ?? []; } = [];

    /// <summary>Platform-specific actions reachable through <c>callPlatformApi</c>.</summary>
    public IReadOnlyList<PlatformAction> Actions { get; init => field = value ?? []; } = [];
}

/// <summary>A platform-specific action of an adapter, called with <c>callPlatformApi(action, params)</c>.</summary>
public sealed class PlatformAction
{
    /// <summary>The action name, unique within the adapter (e.g. <c>pin_message</c>).</summary>
    public required string Name { get; init; }

    /// <summary>What the action does.</summary>
    public string? Description { get; init; }

    /// <summary>An optional JSON Schema for the action's parameters object.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>An optional JSON Schema for the action's result.</summary>
    public JsonElement? Result { get; init; }
}
