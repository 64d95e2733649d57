using System.Text.Json;

namespace Plugboard.Sdk.Schema;

/// <summary>Compares what the code registers with what <c>plugin.json</c> declares, producing human-readable findings.</summary>
internal static class ManifestConsistency
{
    /// <summary>A difference between code and manifest.</summary>
    /// <param name="Kind">"tool", "listener" or "command".</param>
    /// <param name="Name">The component name.</param>
    /// <param name="Problem">What is wrong and what to do.</param>
    public sealed record Finding(string Kind, string Name, string Problem);

    public static List<Finding> Compare(PluginManifestInfo manifest, IReadOnlyDictionary<string, JsonElement> codeTools, IEnumerable<(string Name, ListenerSignature Signature)> codeListeners, IEnumerable<string> codeCommands)
    {
        var findings = new List<Finding>();
        CompareNames(findings, "tool", "AddTool", "components.tools", codeTools.Keys, manifest.Tools.Keys, manifest.Path);
        CompareListeners(findings, codeListeners, manifest.Listeners, manifest.Path);
        CompareNames(findings, "command", "AddCommand", "components.commands", codeCommands, manifest.Commands, manifest.Path);

        foreach (var (name, generated) in codeTools)
        {
            if (manifest.Tools.TryGetValue(name, out var declared) && declared is { } declaredSchema
                && DescribeDifference(generated, declaredSchema) is { } difference)
            {
                findings.Add(new Finding("tool", name,
                    $"The parameters of tool '{name}' differ between the code and {manifest.Path}: {difference}. Update the manifest's \"parameters\" to the generated schema: {generated.GetRawText()}"));
            }
        }

        return findings;
    }

    /// <summary>A shallow comparison: property names, their JSON types, and the required list.</summary>
    internal static string? DescribeDifference(JsonElement code, JsonElement manifest)
    {
        var problems = new List<string>();
        var codeProperties = Properties(code);
        var manifestProperties = Properties(manifest);
        foreach (var (name, type) in codeProperties)
        {
            if (!manifestProperties.TryGetValue(name, out var declaredType))
            {
                problems.Add($"property '{name}' is missing from the manifest");
            }
            else if (type is not null && declaredType is not null && type != declaredType)
            {
                problems.Add($"property '{name}' is {type} in the code but {declaredType} in the manifest");
            }
        }

        foreach (var name in manifestProperties.Keys)
        {
            if (!codeProperties.ContainsKey(name))
            {
                problems.Add($"property '{name}' is declared in the manifest but not in the code");
            }
        }

        var codeRequired = Required(code);
        var manifestRequired = Required(manifest);
        if (!codeRequired.SetEquals(manifestRequired))
        {
            problems.Add($"required is [{string.Join(", ", codeRequired.Order(StringComparer.Ordinal))}] in the code but [{string.Join(", ", manifestRequired.Order(StringComparer.Ordinal))}] in the manifest");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Listeners have no names in a manifest; each code listener must match one declared listener by events and priority.</summary>
    private static void CompareListeners(List<Finding> findings, IEnumerable<(string Name, ListenerSignature Signature)> code, IReadOnlyList<ListenerSignature> manifest, string path)
    {
        var unmatched = manifest.ToList();
        foreach (var (name, signature) in code)
        {
            var index = unmatched.FindIndex(signature.Matches);
            if (index >= 0)
            {
                unmatched.RemoveAt(index);
                continue;
            }

            findings.Add(new Finding("listener", name,
                $"The listener '{name}' ({signature}) is registered in the code but {path} declares no listener with the same events and priority (components.listeners: [{string.Join("; ", manifest)}]). Declare it in the manifest so the runtime routes those events to the plugin."));
        }

        foreach (var signature in unmatched)
        {
            findings.Add(new Finding("listener", signature.ToString(),
                $"{path} declares a listener ({signature}) that no listener registered in the code matches. Register it with AddListener or remove it from components.listeners."));
        }
    }

    private static void CompareNames(List<Finding> findings, string kind, string register, string section, IEnumerable<string> code, IEnumerable<string> manifest, string path)
    {
        var inCode = new HashSet<string>(code, StringComparer.Ordinal);
        var inManifest = new HashSet<string>(manifest, StringComparer.Ordinal);
        foreach (var name in inCode.Where(n => !inManifest.Contains(n)).Order(StringComparer.Ordinal))
        {
            findings.Add(new Finding(kind, name,
                $"The {kind} '{name}' is registered in the code but not declared in {path} ({section}: [{string.Join(", ", inManifest.Order(StringComparer.Ordinal))}]). Declare it in the manifest, or the runtime will not route to it."));
        }

        foreach (var name in inManifest.Where(n => !inCode.Contains(n)).Order(StringComparer.Ordinal))
        {
            findings.Add(new Finding(kind, name,
                $"The {kind} '{name}' is declared in {path} but not registered in the code (registered: [{string.Join(", ", inCode.Order(StringComparer.Ordinal))}]). Register it with {register} or remove it from {section}."));
        }
    }

    private static Dictionary<string, string?> Properties(JsonElement schema)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                result[property.Name] = TypeOf(property.Value);
            }
        }

        return result;
    }

    private static string? TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out var type))
        {
            return null;
        }

        return type.ValueKind switch
        {
            JsonValueKind.String => type.GetString(),
            JsonValueKind.Array => string.Join("|", type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()).Order(StringComparer.Ordinal)),
            _ => null,
        };
    }

    private static HashSet<string> Required(JsonElement schema)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in required.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    result.Add(item.GetString()!);
                }
            }
        }

        return result;
    }
}
