using System.Text.Json;

namespace Plugboard.Sdk.Schema;

/// <summary>
/// The parts of a <c>plugin.json</c> manifest the SDK checks the code against: the id and the declared listener, tool
/// and command names (with tool parameter schemas). The runtime validates the full manifest; this reader is lenient.
/// </summary>
internal sealed class PluginManifestInfo
{
    /// <summary>The manifest file name.</summary>
    public const string FileName = "plugin.json";

    private PluginManifestInfo(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public string? Id { get; private set; }

    public string? Version { get; private set; }

    public string? DisplayName { get; private set; }

    public Dictionary<string, JsonElement?> Tools { get; } = new(StringComparer.Ordinal);

    /// <summary>The declared listeners: manifests declare listeners by event patterns and priority (names come from the handshake).</summary>
    public List<ListenerSignature> Listeners { get; } = [];

    public HashSet<string> Commands { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Finds the manifest: <paramref name="explicitPath"/> when given, else <c>plugin.json</c> next to the app's assembly,
    /// else in the working directory. Returns <see langword="null"/> when there is none.
    /// </summary>
    public static string? Locate(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            return explicitPath;
        }

        foreach (var folder in (ReadOnlySpan<string>)[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            var candidate = System.IO.Path.Combine(folder, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Reads a manifest; throws <see cref="IOException"/> or <see cref="JsonException"/> with the reason when it cannot.</summary>
    public static PluginManifestInfo Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"The manifest root must be a JSON object, not {root.ValueKind}.");
        }

        var manifest = new PluginManifestInfo(path)
        {
            Id = GetString(root, "id"),
            Version = GetString(root, "version"),
            DisplayName = GetString(root, "displayName"),
        };
        if (root.TryGetProperty("components", out var components) && components.ValueKind == JsonValueKind.Object)
        {
            foreach (var tool in Items(components, "tools"))
            {
                if (GetString(tool, "name") is { } name)
                {
                    manifest.Tools[name] = tool.TryGetProperty("parameters", out var parameters) ? parameters.Clone() : null;
                }
            }

            foreach (var listener in Items(components, "listeners"))
            {
                var events = Items(listener, "events").Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray();
                var priority = listener.TryGetProperty("priority", out var p) && p.TryGetInt32(out var value) ? value : 0;
                manifest.Listeners.Add(new ListenerSignature(events, priority));
            }

            foreach (var command in Items(components, "commands"))
            {
                if (GetString(command, "name") is { } name)
                {
                    manifest.Commands.Add(name);
                }
            }
        }

        return manifest;
    }

    private static string? GetString(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<JsonElement> Items(JsonElement parent, string name)
        => parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];
}

/// <summary>What identifies a listener in a manifest: its event patterns (as a set) and its priority.</summary>
internal sealed record ListenerSignature(IReadOnlyList<string> Events, int Priority)
{
    public bool Matches(ListenerSignature other)
        => Priority == other.Priority && new HashSet<string>(Events, StringComparer.Ordinal).SetEquals(other.Events);

    public override string ToString() => $"events [{string.Join(", ", Events)}], priority {Priority}";
}
