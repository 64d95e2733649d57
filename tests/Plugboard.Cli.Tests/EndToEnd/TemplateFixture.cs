using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Plugboard.Cli.Tests.Infrastructure;

namespace Plugboard.Cli.Tests.EndToEnd;

/// <summary>
/// Packs the SDK (Plugboard.Protocol, Plugboard.Sdk, Plugboard.Runtime) into a local NuGet feed with a version of its
/// own, packs the template pack from the repository and installs it into a private `dotnet new` hive.
/// </summary>
public sealed class TemplateFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new("plugboard-templates");

    public string Feed => _root.Combine("feed");

    public string Hive => _root.Combine("hive");

    public string Work => _root.Combine("work");

    public string SdkVersion { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Work);
        var artifacts = _root.Combine("artifacts");
        // The SDK and the runtime, and every project they reference (they become package dependencies).
        foreach (var project in ProjectClosure(Path.Combine(CliPaths.RepositoryRoot, "plugin-sdk/Plugboard.Sdk/Plugboard.Sdk.csproj"), Path.Combine(CliPaths.RepositoryRoot, "src/Plugboard.Runtime/Plugboard.Runtime.csproj")))
        {
            await MustSucceed("dotnet", ["pack", project, "-c", "Release", "-o", Feed, "--artifacts-path", artifacts, $"-p:Version={SdkVersion}", "--nologo"]);
        }

        var packs = _root.Combine("packs");
        await MustSucceed("dotnet", ["pack", Path.Combine(CliPaths.RepositoryRoot, "templates", "Plugboard.Templates.csproj"), "-o", packs, "--artifacts-path", artifacts, "--nologo"]);
        var pack = Directory.GetFiles(packs, "Plugboard.Templates.*.nupkg").Single();
        await MustSucceed("dotnet", ["new", "install", pack, "--debug:custom-hive", Hive]);
    }

    public Task DisposeAsync()
    {
        _root.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Runs `dotnet new TEMPLATE -n NAME` into the work folder with this fixture's feed and SDK version.</summary>
    internal async Task<string> NewAsync(string template, string name, params string[] extra)
    {
        var output = Path.Combine(Work, name);
        await MustSucceed("dotnet", ["new", template, "-n", name, "-o", output, "--sdk-feed", Feed, "--sdk-version", SdkVersion, "--debug:custom-hive", Hive, .. extra]);
        return output;
    }

    /// <summary>The projects and, transitively, the projects they reference.</summary>
    private static List<string> ProjectClosure(params string[] roots)
    {
        var seen = new List<string>();
        var pending = new Stack<string>(roots.Select(Path.GetFullPath));
        while (pending.TryPop(out var project))
        {
            if (seen.Contains(project))
            {
                continue;
            }

            seen.Add(project);
            var folder = Path.GetDirectoryName(project)!;
            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }
        }

        return seen;
    }

    internal static async Task<CliResult> MustSucceed(string program, string[] args, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var clock = Stopwatch.StartNew();
        var result = await CliProcess.RunProgramAsync(program, args, environment, workingDirectory, TimeSpan.FromMinutes(15));
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', args)} failed after {clock.Elapsed}:{Environment.NewLine}{result}");
        return result;
    }
}
