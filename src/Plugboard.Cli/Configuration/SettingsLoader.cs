using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Plugins;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Configuration;

/// <summary>What the command line contributes to loading the settings.</summary>
internal sealed class SettingsRequest
{
    /// <summary>The environment variable naming the config file when <c>--config</c> is not given.</summary>
    public const string ConfigFileVariable = "PLUGBOARD_CONFIG";

    /// <summary><c>--config FILE</c>.</summary>
    public string? ConfigFile { get; init; }

    /// <summary><c>--data-dir DIR</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary><c>--plugin-dir DIR</c> (repeatable): added after the configured plugin folders.</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>Other command-line options that set a key (e.g. <c>--port</c> sets control:port): key, value, option name.</summary>
    public IReadOnlyList<(string Key, string Value, string Option)> Overrides { get; init; } = [];

    /// <summary>The process environment (tests pass their own).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = CurrentEnvironment();

    /// <summary>The folder relative paths on the command line and in the environment are resolved against.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The current process environment as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> CurrentEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string ?? string.Empty;
        }

        return result;
    }
}

/// <summary>
/// Loads <see cref="PlugboardSettings"/>: finds the config file, layers environment variables and command-line options
/// over it, converts every value, and reports every bad or unknown setting with its path and source at once.
/// </summary>
internal static partial class SettingsLoader
{
    private static readonly string[] ReservedSections = ["bots", "box", "mcp", "$schema"];

    private static readonly Dictionary<string, string[]> KnownKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        [string.Empty] = ["dataDirectory", "pluginDirectories", "storage", "control", "debug", "limits", "supervisor", "plugins", "logging", "bots", "box", "mcp"],
        ["storage"] = ["provider", "connectionString"],
        ["control"] = ["address", "port", "allowRemote", "tokenFile"],
        ["debug"] = ["enabled", "tokenFile", "reattachGrace"],
        ["limits"] = ["listenerTimeout", "toolTimeout", "maxMessageSize", "maxConcurrentRequests"],
        ["supervisor"] = ["readyTimeout", "pingInterval", "pingTimeout", "shutdownTimeout", "restartBaseDelay", "restartMaxDelay", "crashBudget", "crashWindow", "stderrLines", "environmentAllowlist"],
        ["logging"] = ["level", "format"],
    };

    /// <summary>The config file used when neither <c>--config</c> nor <c>PLUGBOARD_CONFIG</c> names one and it exists.</summary>
    public static string DefaultConfigFile(IReadOnlyDictionary<string, string> environment)
    {
        var configHome = environment.GetValueOrDefault("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(configHome))
        {
            configHome = Path.Combine(Home(environment), ".config");
        }

        return Path.Combine(configHome, "plugboard", "plugboard.json");
    }

    /// <summary>The data folder used when no setting names one: <c>$XDG_DATA_HOME/plugboard</c> or <c>~/.local/share/plugboard</c>.</summary>
    public static string DefaultDataDirectory(IReadOnlyDictionary<string, string> environment)
    {
        var dataHome = environment.GetValueOrDefault("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Home(environment), ".local", "share");
        }

        return Path.Combine(dataHome, "plugboard");
    }

    /// <summary>Loads and validates the settings.</summary>
    /// <exception cref="SettingsException">Any setting is invalid or unknown; every problem is listed.</exception>
    public static PlugboardSettings Load(SettingsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var environment = request.Environment;
        var source = new SettingsSource();
        var configFile = FindConfigFile(request);
        if (configFile is not null)
        {
            source.AddJsonFile(configFile);
        }

        source.AddEnvironment(environment);
        if (request.DataDirectory is { } dataDirectory)
        {
            source.Set(new SettingValue("dataDirectory", dataDirectory, JsonValueKind.String, "command-line option --data-dir"));
        }

        foreach (var (key, value, option) in request.Overrides)
        {
            source.Set(new SettingValue(key, value, JsonValueKind.String, $"command-line option {option}"));
        }

        var reader = new Reader(source, request.WorkingDirectory, configFile is null ? null : Path.GetDirectoryName(configFile), Home(environment));
        var settings = Read(reader, request, configFile);
        CheckUnknownKeys(source, reader.Errors);
        if (reader.Errors.Count > 0)
        {
            throw new SettingsException(reader.Errors);
        }

        // The runtime's own checks, as a last line of defence (the reader already covers them with paths).
        var options = new PlugboardOptions();
        settings.Apply(options);
        var runtimeErrors = options.Validate();
        if (runtimeErrors.Count > 0)
        {
            throw new SettingsException([.. runtimeErrors.Select(e => new SettingError("(runtime)", "the combined settings", e))]);
        }

        return settings;
    }

    private static string? FindConfigFile(SettingsRequest request)
    {
        if (request.ConfigFile is { } explicitFile)
        {
            var path = Path.GetFullPath(ExpandHome(explicitFile, Home(request.Environment)), request.WorkingDirectory);
            return File.Exists(path)
                ? path
                : throw new SettingsException([new SettingError("(file)", "command-line option --config", $"the config file {path} does not exist. Create it (see docs/configuration.md) or drop --config.")]);
        }

        if (request.Environment.GetValueOrDefault(SettingsRequest.ConfigFileVariable) is { Length: > 0 } fromEnvironment)
        {
            var path = Path.GetFullPath(ExpandHome(fromEnvironment, Home(request.Environment)), request.WorkingDirectory);
            return File.Exists(path)
                ? path
                : throw new SettingsException([new SettingError("(file)", $"environment variable {SettingsRequest.ConfigFileVariable}", $"the config file {path} does not exist. Create it or unset {SettingsRequest.ConfigFileVariable}.")]);
        }

        var fallback = DefaultConfigFile(request.Environment);
        return File.Exists(fallback) ? fallback : null;
    }

    private static PlugboardSettings Read(Reader reader, SettingsRequest request, string? configFile)
    {
        var dataDirectory = reader.Path("dataDirectory") ?? DefaultDataDirectory(request.Environment);
        var pluginDirectories = reader.PathList("pluginDirectories");
        pluginDirectories.AddRange(request.PluginDirectories.Select(d => Path.GetFullPath(ExpandHome(d, reader.HomeDirectory), request.WorkingDirectory)));

        var provider = reader.Choice("storage:provider", PlugboardStorageProvider.Sqlite, new Dictionary<string, PlugboardStorageProvider>(StringComparer.OrdinalIgnoreCase)
        {
            ["sqlite"] = PlugboardStorageProvider.Sqlite,
            ["postgres"] = PlugboardStorageProvider.Postgres,
            ["postgresql"] = PlugboardStorageProvider.Postgres,
        });
        var connectionString = reader.Text("storage:connectionString");
        if (provider == PlugboardStorageProvider.Postgres && string.IsNullOrWhiteSpace(connectionString))
        {
            reader.Errors.Add(new SettingError("storage:connectionString", reader.SourceOf("storage:provider"), "is required when storage:provider is postgres, e.g. \"Host=127.0.0.1;Username=plugboard;Password=...;Database=plugboard\""));
        }

        var address = reader.Address("control:address");
        var allowRemote = reader.Boolean("control:allowRemote", false);
        if (!IPAddress.IsLoopback(address) && !allowRemote)
        {
            reader.Errors.Add(new SettingError("control:address", reader.SourceOf("control:address"), $"{address} is not a loopback address, so the control endpoint would be reachable from other machines. Set control:allowRemote to true to allow that (and guard the token), or use 127.0.0.1"));
        }

        var control = new ControlSettings
        {
            Address = address,
            Port = reader.Integer("control:port", ControlSettings.DefaultPort, 0, 65535),
            AllowRemote = allowRemote,
            TokenFile = reader.Path("control:tokenFile") ?? Path.Combine(dataDirectory, "control.token"),
        };
        var debug = new DebugSettings
        {
            Enabled = reader.Boolean("debug:enabled", true),
            TokenFile = reader.Path("debug:tokenFile") ?? Path.Combine(dataDirectory, "debug.token"),
            ReattachGrace = reader.Duration("debug:reattachGrace", TimeSpan.FromSeconds(30), allowZero: true),
        };
        var limits = new LimitSettings
        {
            ListenerTimeout = reader.Duration("limits:listenerTimeout", TimeSpan.FromSeconds(10)),
            ToolTimeout = reader.Duration("limits:toolTimeout", TimeSpan.FromSeconds(60)),
            MaxMessageSize = reader.Integer("limits:maxMessageSize", 16 * 1024 * 1024, 1024, int.MaxValue),
            MaxConcurrentRequests = reader.Integer("limits:maxConcurrentRequests", 1024, 1, 1_000_000),
        };

        var defaults = new SupervisorOptions();
        var readyTimeout = reader.Duration("supervisor:readyTimeout", defaults.ReadyTimeout);
        var pingInterval = reader.Duration("supervisor:pingInterval", defaults.PingInterval);
        var pingTimeout = reader.Duration("supervisor:pingTimeout", defaults.PingTimeout);
        var shutdownTimeout = reader.Duration("supervisor:shutdownTimeout", defaults.ShutdownTimeout);
        var restartBaseDelay = reader.Duration("supervisor:restartBaseDelay", defaults.RestartBaseDelay);
        var restartMaxDelay = reader.Duration("supervisor:restartMaxDelay", defaults.RestartMaxDelay);
        if (restartMaxDelay < restartBaseDelay)
        {
            reader.Errors.Add(new SettingError("supervisor:restartMaxDelay", reader.SourceOf("supervisor:restartMaxDelay"), $"must not be below supervisor:restartBaseDelay ({restartBaseDelay})"));
        }

        var crashBudget = reader.Integer("supervisor:crashBudget", defaults.CrashBudget, 1, 1000);
        var crashWindow = reader.Duration("supervisor:crashWindow", defaults.CrashWindow);
        var stderrLines = reader.Integer("supervisor:stderrLines", defaults.StderrLines, 1, 100_000);
        var allowlist = reader.TextList("supervisor:environmentAllowlist");

        var logging = new LoggingSettings
        {
            Level = reader.Choice("logging:level", LogLevel.Information, Enum.GetValues<LogLevel>().ToDictionary(l => l.ToString(), l => l, StringComparer.OrdinalIgnoreCase)),
            Format = reader.Choice("logging:format", "text", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["text"] = "text", ["json"] = "json" }),
        };

        return new PlugboardSettings
        {
            ConfigFile = configFile,
            DataDirectory = dataDirectory,
            PluginDirectories = pluginDirectories,
            StorageProvider = provider,
            PostgresConnectionString = connectionString,
            Control = control,
            Debug = debug,
            Limits = limits,
            ConfigureSupervisor = s =>
            {
                s.ReadyTimeout = readyTimeout;
                s.PingInterval = pingInterval;
                s.PingTimeout = pingTimeout;
                s.ShutdownTimeout = shutdownTimeout;
                s.RestartBaseDelay = restartBaseDelay;
                s.RestartMaxDelay = restartMaxDelay;
                s.CrashBudget = crashBudget;
                s.CrashWindow = crashWindow;
                s.StderrLines = stderrLines;
                foreach (var name in allowlist.Where(n => !s.EnvironmentAllowlist.Contains(n)))
                {
                    s.EnvironmentAllowlist.Add(name);
                }
            },
            PluginConfig = ReadPluginConfig(reader),
            Logging = logging,
        };
    }

    private static Dictionary<string, JsonElement> ReadPluginConfig(Reader reader)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var byPlugin = reader.Source.Under("plugins").GroupBy(v => v.Key.Split(':')[1], StringComparer.Ordinal);
        foreach (var group in byPlugin)
        {
            var id = group.Key;
            if (!PluginIdRegex().IsMatch(id))
            {
                reader.Errors.Add(new SettingError($"plugins:{id}", group.First().Source, $"'{id}' is not a plugin id (lowercase dot-separated segments such as acme.weather)"));
                continue;
            }

            var root = new JsonObject();
            foreach (var value in group)
            {
                var segments = value.Key.Split(':');
                if (segments.Length < 3 || !segments[2].Equals("config", StringComparison.OrdinalIgnoreCase))
                {
                    continue; // Reported as unknown by CheckUnknownKeys.
                }

                if (segments.Length == 3)
                {
                    if (value.Value is not null)
                    {
                        reader.Errors.Add(new SettingError(value.Key, value.Source, "must be an object of the plugin's configuration fields, e.g. { \"apiKey\": \"...\" }"));
                    }

                    continue;
                }

                Insert(root, segments.AsSpan(3), value);
            }

            result[id] = JsonSerializer.SerializeToElement(ToArrays(root), CliJsonContext.Default.JsonNode);
        }

        return result;
    }

    private static void Insert(JsonObject root, ReadOnlySpan<string> path, SettingValue value)
    {
        var current = root;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (current[path[i]] is not JsonObject next)
            {
                next = new JsonObject();
                current[path[i]] = next;
            }

            current = next;
        }

        current[path[^1]] = value.Kind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.True => JsonValue.Create(true),
            JsonValueKind.False => JsonValue.Create(false),
            JsonValueKind.Number => JsonNode.Parse(value.Value!),
            _ => JsonValue.Create(value.Value),
        };
    }

    /// <summary>Objects whose keys are exactly 0..n-1 were arrays in the file (or an environment override of one).</summary>
    private static JsonNode? ToArrays(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return node?.DeepClone();
        }

        var keys = obj.Select(p => p.Key).ToList();
        var isArray = keys.Count > 0 && keys.All(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            && keys.Select(k => int.Parse(k, CultureInfo.InvariantCulture)).Order().SequenceEqual(Enumerable.Range(0, keys.Count));
        if (isArray)
        {
            var array = new JsonArray();
            foreach (var item in obj.OrderBy(p => int.Parse(p.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(ToArrays(item.Value));
            }

            return array;
        }

        var result = new JsonObject();
        foreach (var (key, value) in obj)
        {
            result[key] = ToArrays(value);
        }

        return result;
    }

    private static void CheckUnknownKeys(SettingsSource source, List<SettingError> errors)
    {
        foreach (var value in source.Values.OrderBy(v => v.Key, StringComparer.OrdinalIgnoreCase))
        {
            var segments = Canonical(value.Key.Split(':'));
            if (ReservedSections.Contains(segments[0], StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var problem = segments switch
            {
                [var top] when KnownKeys[string.Empty].Contains(top, StringComparer.OrdinalIgnoreCase) && !KnownKeys.ContainsKey(top) => null,
                [var top] when KnownKeys.ContainsKey(top) => value.Value is null ? null : $"must be an object with the keys {string.Join(", ", KnownKeys[top])}",
                ["pluginDirectories", var index] when IsIndex(index) => null,
                ["supervisor", "environmentAllowlist", var index] when IsIndex(index) => null,
                ["plugins", _, var config, ..] when config.Equals("config", StringComparison.OrdinalIgnoreCase) => null,
                ["plugins", _, var other, ..] => $"unknown key '{other}'; a plugin's section holds only \"config\"",
                ["plugins", _] => "must be an object like { \"config\": { ... } }",
                [var section, var key] when KnownKeys.TryGetValue(section, out var keys) && section.Length > 0 =>
                    keys.Contains(key, StringComparer.OrdinalIgnoreCase) ? null : $"unknown setting; '{section}' has {string.Join(", ", keys)}{Suggest(key, keys)}",
                [var top, ..] when !KnownKeys[string.Empty].Contains(top, StringComparer.OrdinalIgnoreCase) =>
                    $"unknown setting; the top-level settings are {string.Join(", ", KnownKeys[string.Empty])}{Suggest(top, KnownKeys[string.Empty])}",
                _ => "unknown setting (too deeply nested, or a list where a single value is expected)",
            };
            if (problem is not null)
            {
                errors.Add(new SettingError(string.Join(':', segments), value.Source, problem));
            }
        }
    }

    /// <summary>The key path with known segments in their documented spelling (environment variables are upper case).</summary>
    private static string[] Canonical(string[] segments)
    {
        var result = (string[])segments.Clone();
        result[0] = KnownKeys[string.Empty].FirstOrDefault(k => k.Equals(segments[0], StringComparison.OrdinalIgnoreCase)) ?? segments[0];
        if (segments.Length > 1 && KnownKeys.TryGetValue(result[0], out var keys) && result[0].Length > 0)
        {
            result[1] = keys.FirstOrDefault(k => k.Equals(segments[1], StringComparison.OrdinalIgnoreCase)) ?? segments[1];
        }

        if (result is ["plugins", _, var config, ..] && config.Equals("config", StringComparison.OrdinalIgnoreCase))
        {
            result[2] = "config";
        }

        return result;
    }

    private static bool IsIndex(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string Suggest(string key, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Candidate: c, Distance: Distance(key.ToUpperInvariant(), c.ToUpperInvariant()))).MinBy(x => x.Distance);
        return best.Candidate is not null && best.Distance <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best.Candidate}'?)" : string.Empty;
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static string Home(IReadOnlyDictionary<string, string> environment)
        => environment.GetValueOrDefault("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    internal static string ExpandHome(string path, string home)
        => path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;

    [GeneratedRegex(ManifestLoader.IdPattern)]
    private static partial Regex PluginIdRegex();

    /// <summary>Reads typed values and records the problems.</summary>
    private sealed class Reader(SettingsSource source, string workingDirectory, string? configDirectory, string home)
    {
        public SettingsSource Source { get; } = source;

        public List<SettingError> Errors { get; } = [];

        public string HomeDirectory { get; } = home;

        public string SourceOf(string key) => Source.Get(key)?.Source ?? "the defaults";

        public string? Text(string key) => Source.Get(key)?.Value;

        public string? Path(string key)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return null;
            }

            if (string.IsNullOrWhiteSpace(value.Value))
            {
                Errors.Add(new SettingError(key, value.Source, "must be a folder or file path, not empty"));
                return null;
            }

            return Resolve(value);
        }

        public List<string> PathList(string key)
        {
            var items = Items(key);
            var result = new List<string>();
            foreach (var item in items)
            {
                if (string.IsNullOrWhiteSpace(item.Value))
                {
                    Errors.Add(new SettingError(item.Key, item.Source, "must be a folder path, not empty"));
                    continue;
                }

                result.Add(Resolve(item));
            }

            return result;
        }

        public List<string> TextList(string key) => [.. Items(key).Where(i => !string.IsNullOrWhiteSpace(i.Value)).Select(i => i.Value!)];

        public int Integer(string key, int fallback, int min, int max)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return fallback;
            }

            if (value.Kind is JsonValueKind.String or JsonValueKind.Number
                && int.TryParse(value.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            {
                return number;
            }

            Errors.Add(new SettingError(key, value.Source, $"expected a whole number from {min} to {max}, got {Show(value)}"));
            return fallback;
        }

        public bool Boolean(string key, bool fallback)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return fallback;
            }

            if (value.Kind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.String && bool.TryParse(value.Value, out var flag))
            {
                return flag;
            }

            Errors.Add(new SettingError(key, value.Source, $"expected true or false, got {Show(value)}"));
            return fallback;
        }

        public TimeSpan Duration(string key, TimeSpan fallback, bool allowZero = false)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return fallback;
            }

            if (value.Kind == JsonValueKind.String && DurationParser.TryParse(value.Value!, out var duration) && (duration > TimeSpan.Zero || (allowZero && duration == TimeSpan.Zero)))
            {
                return duration;
            }

            Errors.Add(new SettingError(key, value.Source, $"expected a {(allowZero ? "non-negative" : "positive")} duration such as \"500ms\", \"10s\", \"5m\", \"1h\" or \"00:00:10\", got {Show(value)}"));
            return fallback;
        }

        public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> choices)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return fallback;
            }

            if (value.Kind == JsonValueKind.String && choices.TryGetValue(value.Value!, out var choice))
            {
                return choice;
            }

            Errors.Add(new SettingError(key, value.Source, $"expected one of {string.Join(", ", choices.Keys)}, got {Show(value)}"));
            return fallback;
        }

        public IPAddress Address(string key)
        {
            var value = Source.Get(key);
            if (value is null)
            {
                return IPAddress.Loopback;
            }

            var text = value.Value!.Trim();
            if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                return IPAddress.Loopback;
            }

            if (text is "*" or "+")
            {
                return IPAddress.Any;
            }

            if (value.Kind == JsonValueKind.String && IPAddress.TryParse(text.Trim('[', ']'), out var address))
            {
                return address;
            }

            Errors.Add(new SettingError(key, value.Source, $"expected an IP address such as 127.0.0.1 or ::1 (or localhost), got {Show(value)}"));
            return IPAddress.Loopback;
        }

        private List<SettingValue> Items(string key)
        {
            var single = Source.Get(key);
            if (single is not null)
            {
                Errors.Add(new SettingError(key, single.Source, $"expected a list, e.g. [\"...\"] in the file or {SettingsSource.EnvironmentName(key + ":0")}=... in the environment"));
                return [];
            }

            return [.. Source.Under(key)
                .Where(v => v.Key.Split(':').Length == key.Split(':').Length + 1 && IsIndex(v.Key.Split(':')[^1]))
                .OrderBy(v => int.Parse(v.Key.Split(':')[^1], CultureInfo.InvariantCulture))];
        }

        private string Resolve(SettingValue value)
        {
            var baseDirectory = value.Source.StartsWith("config file ", StringComparison.Ordinal) && configDirectory is not null ? configDirectory : workingDirectory;
            return System.IO.Path.GetFullPath(ExpandHome(value.Value!, HomeDirectory), baseDirectory);
        }

        private static string Show(SettingValue value) => value.Kind == JsonValueKind.String ? $"\"{value.Value}\"" : value.Value ?? "null";
    }
}

/// <summary>Parses durations written as <c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c> or <c>hh:mm:ss</c>.</summary>
internal static class DurationParser
{
    /// <summary>Parses a duration.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        text = text.Trim();
        duration = default;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
        }

        var split = 0;
        while (split < text.Length && (char.IsAsciiDigit(text[split]) || text[split] == '.'))
        {
            split++;
        }

        if (split == 0 || !double.TryParse(text.AsSpan(0, split), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        double? milliseconds = text[split..].Trim().ToUpperInvariant() switch
        {
            "MS" => number,
            "S" => number * 1000,
            "M" or "MIN" => number * 60_000,
            "H" => number * 3_600_000,
            "D" => number * 86_400_000,
            _ => null,
        };
        if (milliseconds is not { } ms || ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
