namespace Plugboard.Runtime.Mcp;

/// <summary>MCP settings of the runtime: the servers it hosts and what it exposes when it serves MCP itself.</summary>
public sealed class McpOptions
{
    /// <summary>
    /// MCP servers defined by configuration. They start with the runtime; they can be enabled and disabled through the
    /// API (persisted) but not removed (remove them from the configuration). Servers added through the API are kept in
    /// the runtime's storage. Default: none.
    /// </summary>
    public IList<McpServerDefinition> Servers { get; } = [];

    /// <summary>What Plugboard's own MCP server (<c>plugboard mcp serve</c>, <c>/mcp</c>) exposes.</summary>
    public McpServeOptions Serve { get; } = new();

    /// <summary>How long a ping of a hosted MCP server may take before it counts as unresponsive; <see langword="null"/> uses the supervisor's ping timeout. Default null.</summary>
    public TimeSpan? PingTimeout { get; set; }

    /// <summary>Returns every problem, each naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Servers.Count; i++)
        {
            var server = Servers[i];
            if (server is null)
            {
                errors.Add($"Mcp:Servers[{i}] is empty.");
                continue;
            }

            foreach (var error in server.Validate())
            {
                errors.Add($"Mcp:Servers[{i}] ({server.Name}): {error}");
            }

            if (!string.IsNullOrEmpty(server.Name) && !names.Add(server.Name))
            {
                errors.Add($"Mcp:Servers[{i}]: the name '{server.Name}' is used twice; MCP server names must be unique.");
            }
        }

        if (PingTimeout is { } ping && ping <= TimeSpan.Zero)
        {
            errors.Add($"Mcp:PingTimeout must be positive (got {ping}).");
        }

        Serve.Validate(errors);
        return errors;
    }
}

/// <summary>
/// What Plugboard exposes as an MCP server: the tool registry (plugin tools, MCP tools, Box tools) filtered by glob
/// patterns over registry names (<c>acme.weather/forecast</c>, <c>mcp.files.read_file</c>), plus the resources and
/// prompts of the MCP servers it hosts.
/// </summary>
public sealed class McpServeOptions
{
    /// <summary>Glob patterns of registry tool names to expose. Default <c>["*"]</c> (every tool).</summary>
    public IList<string> Tools { get; } = ["*"];

    /// <summary>Glob patterns of registry tool names never to expose (applied after <see cref="Tools"/>). Default none.</summary>
    public IList<string> ExcludedTools { get; } = [];

    /// <summary>Whether the resources and resource templates of hosted MCP servers are exposed. Default true.</summary>
    public bool Resources { get; set; } = true;

    /// <summary>Whether the prompts of hosted MCP servers are exposed (as <c>mcp.&lt;server&gt;.&lt;prompt&gt;</c>). Default true.</summary>
    public bool Prompts { get; set; } = true;

    /// <summary>The server name announced to MCP clients. Default <c>plugboard</c>.</summary>
    public string ServerName { get; set; } = "plugboard";

    internal void Validate(List<string> errors)
    {
        if (Tools.Any(string.IsNullOrWhiteSpace) || ExcludedTools.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Mcp:Serve:Tools and Mcp:Serve:ExcludedTools must not contain empty patterns.");
        }

        if (string.IsNullOrWhiteSpace(ServerName))
        {
            errors.Add("Mcp:Serve:ServerName must not be empty.");
        }
    }

    /// <summary>Whether the registry tool <paramref name="qualifiedName"/> is exposed.</summary>
    public bool Exposes(string qualifiedName) => Tools.Any(p => McpNames.GlobMatches(p, qualifiedName)) && !ExcludedTools.Any(p => McpNames.GlobMatches(p, qualifiedName));
}
