using System.Text.Json;

namespace Plugboard.Runtime.Supervision;

/// <summary>Everything needed to start one plugin process.</summary>
/// <param name="Id">The plugin id.</param>
/// <param name="Version">The plugin version.</param>
/// <param name="FileName">The executable.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="WorkingDirectory">Its working directory.</param>
/// <param name="Environment">Extra environment variables (from the manifest).</param>
/// <param name="Config">The validated configuration object.</param>
/// <param name="Manifest">The manifest as JSON, echoed in the handshake.</param>
/// <param name="DataDirectory">The plugin's private data folder.</param>
internal sealed record PluginLaunchSpec(
    string Id,
    string Version,
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    JsonElement Config,
    JsonElement? Manifest,
    string DataDirectory);
