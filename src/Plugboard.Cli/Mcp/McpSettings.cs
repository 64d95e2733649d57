using System.Globalization;
using System.Text.Json;
using Plugboard.Cli.Configuration;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;

namespace Plugboard.Cli.Mcp;

/// <summary>
/// The <c>mcp</c> section of the config file (and its <c>PLUGBOARD__MCP__...</c> environment overrides): hosted MCP
/// servers keyed by name (the common <c>mcpServers</c> shape) and what <c>/mcp</c> and <c>plugboard mcp serve</c> expose.
/// Every problem is reported with its key path and where it was set.
/// </summary>
/// <example>
/// <code>
/// "mcp": {
///   "servers": {
///     "everything": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"], "location": "host" },
///     "remote": { "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer ..." } }
///   },
///   "serve": { "tools": ["*"], "excludeTools": ["box.*"] }
/// }
/// </code>
/// </example>
internal static class McpSettings
{
    private static readonly string[] ServerKeys = ["transport", "command", "args", "env", "cwd", "url", "headers", "location", "boxMounts", "enabled", "tools", "excludeTools", "protocolVersion"];
    private static readonly string[] ServeKeys = ["tools", "excludeTools", "resources", "prompts", "serverName"];
    private static readonly string[] SectionKeys = ["servers", "serve", "pingTimeout"];

    /// <summary>Reads the section for <paramref name="settings"/> and copies it onto <paramref name="options"/>.</summary>
    /// <exception cref="SettingsException">A setting is invalid or unknown; every problem is listed.</exception>
    public static void Apply(PlugboardSettings settings, PlugboardOptions options, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var source = new SettingsSource();
        if (settings.ConfigFile is { } file)
        {
            source.AddJsonFile(file);
        }

        source.AddEnvironment(environment ?? SettingsRequest.CurrentEnvironment());
        var errors = new List<SettingError>();
        var configDirectory = settings.ConfigFile is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(settings.ConfigFile)!;
        var values = source.Under("mcp").ToList();
        foreach (var value in values)
        {
            var segments = value.Key.Split(':');
            if (segments.Length < 2 || !SectionKeys.Contains(segments[1], StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(new SettingError(value.Key, value.Source, $"unknown setting; 'mcp' has {string.Join(", ", SectionKeys)}"));
            }
        }

        if (source.Get("mcp:pingTimeout") is { } ping)
        {
            if (ping.Kind == JsonValueKind.String && DurationParser.TryParse(ping.Value!, out var timeout) && timeout > TimeSpan.Zero)
            {
                options.Mcp.PingTimeout = timeout;
            }
            else
            {
                errors.Add(new SettingError("mcp:pingTimeout", ping.Source, $"expected a positive duration such as \"10s\", got {ping.Value}"));
            }
        }

        ReadServers(values, options.Mcp, configDirectory, errors);
        ReadServe(values, options.Mcp.Serve, errors);
        if (errors.Count > 0)
        {
            throw new SettingsException(errors);
        }
    }

    private static void ReadServers(List<SettingValue> values, McpOptions options, string configDirectory, List<SettingError> errors)
    {
        var byServer = values
            .Where(v => v.Key.Split(':') is [_, var section, _, ..] && section.Equals("servers", StringComparison.OrdinalIgnoreCase))
            .GroupBy(v => v.Key.Split(':')[2].ToLowerInvariant(), StringComparer.Ordinal);
        foreach (var group in byServer.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var name = group.Key;
            var prefix = $"mcp:servers:{name}";
            var fields = new Dictionary<string, List<(string[] Path, SettingValue Value)>>(StringComparer.OrdinalIgnoreCase);
            foreach (var value in group)
            {
                var segments = value.Key.Split(':');
                if (segments.Length < 4)
                {
                    errors.Add(new SettingError(value.Key, value.Source, "must be an object like { \"command\": \"npx\", \"args\": [...] } or { \"url\": \"https://...\" }"));
                    continue;
                }

                var field = ServerKeys.FirstOrDefault(k => k.Equals(segments[3], StringComparison.OrdinalIgnoreCase));
                if (field is null)
                {
                    errors.Add(new SettingError(value.Key, value.Source, $"unknown setting; an MCP server has {string.Join(", ", ServerKeys)}"));
                    continue;
                }

                if (!fields.TryGetValue(field, out var list))
                {
                    fields[field] = list = [];
                }

                list.Add((segments[4..], value));
            }

            var before = errors.Count;
            var url = Scalar(fields, "url", prefix, errors);
            var transportText = Scalar(fields, "transport", prefix, errors);
            var transport = transportText?.ToUpperInvariant() switch
            {
                null => url is null ? McpTransportKind.Stdio : McpTransportKind.Http,
                "STDIO" => McpTransportKind.Stdio,
                "HTTP" or "STREAMABLEHTTP" or "STREAMABLE-HTTP" => McpTransportKind.Http,
                _ => Invalid(McpTransportKind.Stdio, $"{prefix}:transport", fields, "transport", $"expected stdio or http, got \"{transportText}\"", errors),
            };
            var locationText = Scalar(fields, "location", prefix, errors);
            var location = locationText?.ToUpperInvariant() switch
            {
                null or "BOX" => McpServerLocation.Box,
                "HOST" => McpServerLocation.Host,
                _ => Invalid(McpServerLocation.Box, $"{prefix}:location", fields, "location", $"expected box or host, got \"{locationText}\"", errors),
            };
            var enabledText = Scalar(fields, "enabled", prefix, errors);
            var enabled = true;
            if (enabledText is not null && !bool.TryParse(enabledText, out enabled))
            {
                Invalid(true, $"{prefix}:enabled", fields, "enabled", $"expected true or false, got {enabledText}", errors);
                enabled = true;
            }

            var cwd = Scalar(fields, "cwd", prefix, errors);
            var definition = new McpServerDefinition
            {
                Name = name,
                Transport = transport,
                Command = Scalar(fields, "command", prefix, errors),
                Arguments = List(fields, "args", prefix, errors),
                Environment = Map(fields, "env", prefix, errors, StringComparer.Ordinal),
                WorkingDirectory = cwd is null ? null : Path.GetFullPath(cwd, configDirectory),
                Url = url,
                Headers = Map(fields, "headers", prefix, errors, StringComparer.OrdinalIgnoreCase),
                Location = location,
                BoxMounts = [.. List(fields, "boxMounts", prefix, errors).Select(m => Path.GetFullPath(m, configDirectory))],
                Enabled = enabled,
                AllowedTools = List(fields, "tools", prefix, errors),
                DeniedTools = List(fields, "excludeTools", prefix, errors),
                ProtocolVersion = Scalar(fields, "protocolVersion", prefix, errors),
            };
            if (errors.Count > before)
            {
                continue;
            }

            var problems = definition.Validate();
            if (problems.Count > 0)
            {
                var origin = group.First().Source;
                errors.AddRange(problems.Select(p => new SettingError(prefix, origin, p)));
                continue;
            }

            options.Servers.Add(definition);
        }
    }

    private static void ReadServe(List<SettingValue> values, McpServeOptions serve, List<SettingError> errors)
    {
        var fields = new Dictionary<string, List<(string[] Path, SettingValue Value)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values.Where(v => v.Key.Split(':') is [_, var section, ..] && section.Equals("serve", StringComparison.OrdinalIgnoreCase)))
        {
            var segments = value.Key.Split(':');
            var field = segments.Length < 3 ? null : ServeKeys.FirstOrDefault(k => k.Equals(segments[2], StringComparison.OrdinalIgnoreCase));
            if (field is null)
            {
                errors.Add(new SettingError(value.Key, value.Source, $"unknown setting; 'mcp:serve' has {string.Join(", ", ServeKeys)}"));
                continue;
            }

            if (!fields.TryGetValue(field, out var list))
            {
                fields[field] = list = [];
            }

            list.Add((segments[3..], value));
        }

        if (fields.ContainsKey("tools"))
        {
            serve.Tools.Clear();
            foreach (var pattern in List(fields, "tools", "mcp:serve", errors))
            {
                serve.Tools.Add(pattern);
            }
        }

        foreach (var pattern in List(fields, "excludeTools", "mcp:serve", errors))
        {
            serve.ExcludedTools.Add(pattern);
        }

        serve.Resources = Flag(fields, "resources", "mcp:serve", serve.Resources, errors);
        serve.Prompts = Flag(fields, "prompts", "mcp:serve", serve.Prompts, errors);
        serve.ServerName = Scalar(fields, "serverName", "mcp:serve", errors) ?? serve.ServerName;
    }

    private static string? Scalar(Dictionary<string, List<(string[] Path, SettingValue Value)>> fields, string field, string prefix, List<SettingError> errors)
    {
        if (!fields.TryGetValue(field, out var values))
        {
            return null;
        }

        if (values is [{ Path.Length: 0 } single])
        {
            return single.Value.Value;
        }

        errors.Add(new SettingError($"{prefix}:{field}", values[0].Value.Source, "expected a single value, not a list or an object"));
        return null;
    }

    private static bool Flag(Dictionary<string, List<(string[] Path, SettingValue Value)>> fields, string field, string prefix, bool fallback, List<SettingError> errors)
    {
        var text = Scalar(fields, field, prefix, errors);
        if (text is null)
        {
            return fallback;
        }

        if (bool.TryParse(text, out var flag))
        {
            return flag;
        }

        errors.Add(new SettingError($"{prefix}:{field}", fields[field][0].Value.Source, $"expected true or false, got {text}"));
        return fallback;
    }

    private static List<string> List(Dictionary<string, List<(string[] Path, SettingValue Value)>> fields, string field, string prefix, List<SettingError> errors)
    {
        if (!fields.TryGetValue(field, out var values))
        {
            return [];
        }

        var items = new SortedList<int, string>();
        foreach (var (path, value) in values)
        {
            if (path is [var index] && int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && value.Value is not null)
            {
                items[position] = value.Value;
            }
            else
            {
                errors.Add(new SettingError(value.Key, value.Source, $"expected a list of strings, e.g. [\"...\"] in the file or {SettingsSource.EnvironmentName($"{prefix}:{field}:0")}=... in the environment"));
            }
        }

        return [.. items.Values];
    }

    private static Dictionary<string, string> Map(Dictionary<string, List<(string[] Path, SettingValue Value)>> fields, string field, string prefix, List<SettingError> errors, StringComparer comparer)
    {
        var result = new Dictionary<string, string>(comparer);
        if (!fields.TryGetValue(field, out var values))
        {
            return result;
        }

        foreach (var (path, value) in values)
        {
            if (path is [var key] && value.Value is not null)
            {
                result[key] = value.Value;
            }
            else
            {
                errors.Add(new SettingError(value.Key, value.Source, $"expected an object of string values, e.g. {{ \"NAME\": \"value\" }} (set {prefix}:{field})"));
            }
        }

        return result;
    }

    private static T Invalid<T>(T fallback, string key, Dictionary<string, List<(string[] Path, SettingValue Value)>> fields, string field, string message, List<SettingError> errors)
    {
        errors.Add(new SettingError(key, fields[field][0].Value.Source, message));
        return fallback;
    }
}
