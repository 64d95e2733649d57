using System.Reflection;

namespace Plugboard.Cli.Tests.Infrastructure;

/// <summary>Where the tested <c>plugboard</c> build and the repository are.</summary>
internal static class CliPaths
{
    private static readonly Assembly Tests = typeof(CliPaths).Assembly;

    /// <summary>The plugboard.dll the test project references, in the CLI project's own output folder.</summary>
    public static string CliDll { get; } = Metadata("PlugboardCliPath");

    /// <summary>The repository root.</summary>
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    /// <summary>A test plugin folder copied with the tests.</summary>
    public static string TestPlugin(string name) => Path.Combine(AppContext.BaseDirectory, "TestPlugins", name);

    private static string Metadata(string key)
        => Tests.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Assembly metadata {key} is missing; the RecordCliPath target in the test project did not run.");
}
