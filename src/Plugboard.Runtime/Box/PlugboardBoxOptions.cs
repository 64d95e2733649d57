using Plugboard.Box.Contracts;

namespace Plugboard.Runtime.Box;

/// <summary>
/// How the runtime reaches its Box (the sandbox process): spawned over stdio (the default when enabled), or a
/// remote Box over a WebSocket (<see cref="Endpoint"/>). Every property has a documented default.
/// </summary>
public sealed class PlugboardBoxOptions
{
    /// <summary>Whether the runtime uses a Box (and offers the sandbox tools). Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>A remote Box's control endpoint, e.g. <c>ws://box:5410/rpc</c>; null spawns a local Box. Default null.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The remote Box's token (required with <see cref="Endpoint"/>; a spawned Box gets a fresh random one).</summary>
    public string? Token { get; set; }

    /// <summary>
    /// The <c>plugboard-box</c> program to spawn: an apphost, or a <c>.dll</c> run with <c>dotnet</c>. Default:
    /// <c>plugboard-box.dll</c> next to the runtime's assemblies (a host that references the Box project gets it there).
    /// </summary>
    public string? Executable { get; set; }

    /// <summary>The spawned Box's data folder. Default: <c>box</c> under the runtime's data folder.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The spawned Box's backend: <c>auto</c>, <c>docker</c>, <c>bubblewrap</c> or <c>nsjail</c>. Default <c>auto</c>.</summary>
    public string Backend { get; set; } = BoxBackendNames.Auto;

    /// <summary>More settings of the spawned Box, passed as <c>PLUGBOARD_BOX_*</c> variables (e.g. <c>Docker__DefaultImage</c>, <c>AllowedMountRoots__0</c>).</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The profile of sessions the sandbox tools create. Default <c>default</c>.</summary>
    public string Profile { get; set; } = BoxProfileNames.Default;

    /// <summary>The profile of the sessions MCP servers run in (<c>mcp-&lt;name&gt;</c>); null uses <see cref="Profile"/>. Default null.</summary>
    public string? McpProfile { get; set; }

    /// <summary>
    /// How the sandbox tools derive a session id from an event's context (see <see cref="BoxSessionTemplates"/>).
    /// Default <see cref="BoxSessionTemplates.PerChat"/>.
    /// </summary>
    public string SessionTemplate { get; set; } = BoxSessionTemplates.PerChat;

    /// <summary>How often the runtime pings the Box. Default 20 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a ping may take before the Box counts as gone (and is reconnected). Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one connection attempt (start, connect, hello) may take. Default 60 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first reconnect delay; it doubles per failed attempt, with ±20% jitter. Default 1 s.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect delay. Default 60 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    internal void Validate(List<string> errors)
    {
        if (!Enabled)
        {
            return;
        }

        if (Endpoint is not null)
        {
            if (Endpoint.Scheme is not ("ws" or "wss"))
            {
                errors.Add($"Box:Endpoint must be a ws:// or wss:// URL such as ws://box:5410/rpc (got {Endpoint}).");
            }

            if (string.IsNullOrEmpty(Token) || Token.Length < 16)
            {
                errors.Add("Box:Token is required with Box:Endpoint (the remote Box's PLUGBOARD_BOX_TOKEN, at least 16 characters).");
            }
        }

        if (Backend is not (BoxBackendNames.Auto or BoxBackendNames.Docker or BoxBackendNames.Bubblewrap or BoxBackendNames.Nsjail))
        {
            errors.Add($"Box:Backend must be auto, docker, bubblewrap or nsjail (got '{Backend}').");
        }

        if (!BoxSessionTemplate.TryValidate(SessionTemplate, out var problem))
        {
            errors.Add($"Box:SessionTemplate: {problem}");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("Box:HeartbeatInterval, Box:HeartbeatTimeout and Box:ConnectTimeout must be positive.");
        }

        if (ReconnectInitialDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectInitialDelay)
        {
            errors.Add("Box:ReconnectInitialDelay must be positive and at most Box:ReconnectMaxDelay.");
        }
    }
}
