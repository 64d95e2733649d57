using System.Reflection;

namespace Plugboard.Sdk.Tests.Infrastructure;

/// <summary>How to start one of the sample plugins in tests/SamplePlugins.</summary>
public sealed record SamplePlugin(string Name, string PluginId, string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    // Initialized first: the samples below are located from it.
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public static SamplePlugin Echo { get; } = CreateEcho();

    public static SamplePlugin Node { get; } = new(
        "node", "plugboard.samples.node", "node", [Path.Combine(SamplesFolder, "node-plugin", "plugin.js")], Path.Combine(SamplesFolder, "node-plugin"));

    public static SamplePlugin Python { get; } = new(
        "python", "plugboard.samples.python", "python3", [Path.Combine(SamplesFolder, "python-plugin", "plugin.py")], Path.Combine(SamplesFolder, "python-plugin"));

    public static IEnumerable<object[]> All => [[Echo.Name], [Node.Name], [Python.Name]];

    /// <summary>The folder with node_modules/vscode-jsonrpc that the Node sample loads.</summary>
    public static string NodeModules => Path.Combine(RepositoryRoot, "tests", "interop", "node", "node_modules");

    private static string SamplesFolder => Path.Combine(RepositoryRoot, "tests", "SamplePlugins");

    public static SamplePlugin ByName(string name) => name switch
    {
        "echo" => Echo,
        "node" => Node,
        "python" => Python,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown sample plugin"),
    };

    public override string ToString() => Name;

    private static SamplePlugin CreateEcho()
    {
        var assembly = Metadata("EchoSampleAssembly");
        return new SamplePlugin("echo", "plugboard.samples.echo", DotNetHost, [assembly], Path.GetDirectoryName(assembly)!);
    }

    /// <summary>The dotnet host running the tests (set by the SDK during dotnet test), else dotnet from PATH.</summary>
    private static string DotNetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string Metadata(string key)
        => typeof(SamplePlugin).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"The test assembly has no AssemblyMetadata '{key}'; build it with its csproj.");
}
