using System.Text.RegularExpressions;

namespace Plugboard.Runtime.Mcp;

/// <summary>How the runtime talks to an MCP server.</summary>
public enum McpTransportKind
{
    /// <summary>The runtime starts the server as a process and speaks newline-delimited JSON-RPC on its stdin/stdout.</summary>
    Stdio,

    /// <summary>The server already runs somewhere and is reached over MCP Streamable HTTP at <see cref="McpServerDefinition.Url"/>.</summary>
    Http,
}

/// <summary>Where a stdio MCP server's process runs.</summary>
public enum McpServerLocation
{
    /// <summary>Inside a Box session, as a Box managed process (the default: MCP servers are untrusted code).</summary>
    Box,

    /// <summary>On the runtime's own machine, unsandboxed. Only by explicit choice.</summary>
    Host,
}

/// <summary>
/// An MCP server the runtime hosts as a tool source: its tools are registered as <c>mcp.&lt;name&gt;.&lt;tool&gt;</c>.
/// Defined in the runtime configuration (<see cref="McpOptions.Servers"/>) or added through the runtime API.
/// </summary>
public sealed record McpServerDefinition
{
    /// <summary>The pattern of <see cref="Name"/>: lowercase letters, digits, <c>-</c> and <c>_</c>, starting with a letter or digit, at most 63 characters (no dots, so <c>mcp.&lt;name&gt;.&lt;tool&gt;</c> splits unambiguously).</summary>
    public const string NamePattern = "^[a-z0-9][a-z0-9_-]{0,62}$";

    /// <summary>The server's name (see <see cref="NamePattern"/>).</summary>
    public required string Name { get; init; }

    /// <summary>The transport. Default <see cref="McpTransportKind.Stdio"/>.</summary>
    public McpTransportKind Transport { get; init; } = McpTransportKind.Stdio;

    /// <summary>The program to start (stdio), e.g. <c>npx</c> or <c>node</c>; resolved on PATH.</summary>
    public string? Command { get; init; }

    /// <summary>The program's arguments (stdio).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>
    /// Environment variables for the process (stdio). They are added to the supervisor's environment allowlist
    /// (<see cref="Supervision.SupervisorOptions.EnvironmentAllowlist"/>); nothing else of the runtime's environment is passed.
    /// Values are treated as secrets: status and listings show only the names.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The working folder of the process (stdio). Default: <c>&lt;data&gt;/mcp/&lt;name&gt;</c> on the host.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The server's Streamable HTTP endpoint (http), e.g. <c>https://example.com/mcp</c>.</summary>
    public string? Url { get; init; }

    /// <summary>HTTP headers sent with every request (http), e.g. <c>Authorization</c>. Values are treated as secrets.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Host folders a stdio server in the Box sees read-only at the same path (e.g. the folder of an npm package it runs
    /// from); the Box must allow them (<c>Box:AllowedMountRoots</c>). Absolute paths. Default none.
    /// </summary>
    public IReadOnlyList<string> BoxMounts { get; init; } = [];

    /// <summary>Where a stdio server runs. Default <see cref="McpServerLocation.Box"/>; <see cref="McpServerLocation.Host"/> only by explicit choice.</summary>
    public McpServerLocation Location { get; init; } = McpServerLocation.Box;

    /// <summary>Whether the server runs. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// The MCP protocol version to require, e.g. <c>2025-11-25</c>; <see langword="null"/> (the default) lets the official
    /// client negotiate (it prefers the newest revision and falls back to the <c>initialize</c> handshake).
    /// </summary>
    public string? ProtocolVersion { get; init; }

    /// <summary>Glob patterns (<c>*</c>, <c>?</c>) of the server's own tool names to register; empty registers every tool. Default empty.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];

    /// <summary>Glob patterns of the server's own tool names never to register (applied after <see cref="AllowedTools"/>). Default empty.</summary>
    public IReadOnlyList<string> DeniedTools { get; init; } = [];

    /// <summary>The registry source of this server's tools: <c>mcp.&lt;name&gt;</c>.</summary>
    public string SourceId => McpNames.SourceId(Name);

    /// <summary>Returns every problem with this definition, each naming the property and what to do.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Name) || !McpNames.IsValidServerName(Name))
        {
            errors.Add($"name '{Name}' is not a valid MCP server name: use lowercase letters, digits, '-' and '_' (at most 63 characters, no dots), e.g. \"files\".");
        }

        switch (Transport)
        {
            case McpTransportKind.Stdio:
                if (string.IsNullOrWhiteSpace(Command))
                {
                    errors.Add("command is required for a stdio server, e.g. \"npx\" with arguments [\"-y\", \"@modelcontextprotocol/server-everything\"].");
                }

                if (Url is not null)
                {
                    errors.Add("url is only for http servers; a stdio server is started from its command.");
                }

                break;
            case McpTransportKind.Http:
                if (string.IsNullOrWhiteSpace(Url) || !Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"url '{Url}' must be an absolute http:// or https:// URL of the server's Streamable HTTP endpoint.");
                }

                if (Command is not null || Arguments.Count > 0)
                {
                    errors.Add("command and arguments are only for stdio servers; an http server is reached at its url.");
                }

                break;
            default:
                errors.Add($"transport '{Transport}' is unknown; use stdio or http.");
                break;
        }

        if (!Enum.IsDefined(Location))
        {
            errors.Add($"location '{Location}' is unknown; use box or host.");
        }

        foreach (var name in Environment.Keys)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"environment variable name '{name}' is invalid.");
            }
        }

        foreach (var name in Headers.Keys)
        {
            if (string.IsNullOrEmpty(name) || name.Any(c => c <= ' ' || c >= 127 || c == ':'))
            {
                errors.Add($"header name '{name}' is invalid.");
            }
        }

        foreach (var mount in BoxMounts)
        {
            if (string.IsNullOrWhiteSpace(mount) || !Path.IsPathFullyQualified(mount))
            {
                errors.Add($"boxMounts entry '{mount}' must be an absolute host folder.");
            }
        }

        if (BoxMounts.Count > 0 && (Transport != McpTransportKind.Stdio || Location != McpServerLocation.Box))
        {
            errors.Add("boxMounts are only for stdio servers located in the Box.");
        }

        foreach (var pattern in AllowedTools.Concat(DeniedTools))
        {
            if (string.IsNullOrWhiteSpace(pattern))
            {
                errors.Add("tool patterns must not be empty.");
            }
        }

        return errors;
    }

    /// <summary>A copy safe to show: environment and header values replaced by <c>***</c>.</summary>
    public McpServerDefinition Redacted() => this with
    {
        Environment = Environment.ToDictionary(e => e.Key, _ => "***", StringComparer.Ordinal),
        Headers = Headers.ToDictionary(h => h.Key, _ => "***", StringComparer.OrdinalIgnoreCase),
    };
}

/// <summary>Naming rules shared by MCP hosting and serving.</summary>
public static partial class McpNames
{
    /// <summary>The prefix of every MCP tool source and qualified tool name.</summary>
    public const string Prefix = "mcp.";

    /// <summary>Whether <paramref name="name"/> matches <see cref="McpServerDefinition.NamePattern"/>.</summary>
    public static bool IsValidServerName(string name) => ServerNameRegex().IsMatch(name);

    /// <summary>The registry source of a server's tools: <c>mcp.&lt;server&gt;</c>.</summary>
    public static string SourceId(string server) => Prefix + server;

    /// <summary>The registry name of a server's tool: <c>mcp.&lt;server&gt;.&lt;tool&gt;</c>.</summary>
    public static string QualifiedToolName(string server, string tool) => Prefix + server + "." + tool;

    /// <summary>Whether <paramref name="text"/> matches the glob <paramref name="pattern"/> (<c>*</c> any run of characters, <c>?</c> one character; ordinal).</summary>
    public static bool GlobMatches(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    /// <summary>Whether a tool passes an allowlist (empty allows all) and a denylist.</summary>
    public static bool IsAllowed(string name, IEnumerable<string> allowed, IEnumerable<string> denied)
    {
        var allowList = allowed as IReadOnlyCollection<string> ?? [.. allowed];
        return (allowList.Count == 0 || allowList.Any(p => GlobMatches(p, name))) && !denied.Any(p => GlobMatches(p, name));
    }

    [GeneratedRegex(McpServerDefinition.NamePattern)]
    private static partial Regex ServerNameRegex();
}
