using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.FileSystemGlobbing;
using Plugboard.Cli.Commands;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Cli.Packaging;

/// <summary>A packed plugin.</summary>
/// <param name="ZipPath">The package.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="FileCount">How many files it holds.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256, hex.</param>
internal sealed record PackResult(string ZipPath, PluginManifest Manifest, int FileCount, long Size, string Sha256);

/// <summary>A plugin folder ready to install or zip: published (for .NET projects) or copied, and validated.</summary>
/// <param name="Directory">The staged folder (a temporary folder the caller deletes).</param>
/// <param name="Manifest">The validated manifest.</param>
/// <param name="Published">Whether a .NET project was published into it.</param>
internal sealed record StagedPlugin(string Directory, PluginManifest Manifest, bool Published) : IDisposable
{
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// Builds plugin packages: a .NET plugin project is published (<c>dotnet publish -c Release</c>), any other plugin folder
/// is copied (without VCS folders, IDE files, <c>.env</c> and what <c>.plugboardignore</c> lists); the result is validated
/// with the same manifest checks the runtime applies (including that the files the manifest names exist) and zipped
/// deterministically (sorted entries, fixed timestamps, Unix modes kept).
/// </summary>
internal static class PluginPackager
{
    /// <summary>The file listing extra glob patterns to leave out of a package (one per line, <c>#</c> comments).</summary>
    public const string IgnoreFileName = ".plugboardignore";

    private static readonly string[] DefaultExcludes =
    [
        ".git/**", ".svn/**", ".hg/**", ".vs/**", ".vscode/**", ".idea/**", "**/.DS_Store", ".env", ".env.*", "*.zip", IgnoreFileName,
    ];

    private static readonly string[] DotnetSourceExcludes = ["bin/**", "obj/**", "**/bin/**", "**/obj/**"];

    private static readonly DateTimeOffset FixedTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Publishes or copies <paramref name="sourceDirectory"/> into a temporary folder and validates it.</summary>
    public static async Task<StagedPlugin> StageAsync(string sourceDirectory, string configuration, Output.Progress progress, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(sourceDirectory);
        if (!Directory.Exists(source))
        {
            throw new CliException(ExitCodes.PackageInvalid, $"{source} is not a folder. Give the plugin's folder (the one with plugin.json).");
        }

        var manifestPath = Path.Combine(source, PluginManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new CliException(ExitCodes.PackageInvalid, $"{source} has no {PluginManifest.FileName}. Every plugin folder needs one (see docs/plugin-authoring.md), or create a plugin with `dotnet new plugboard-plugin`.");
        }

        progress.Step($"Reading {manifestPath}");
        var manifest = LoadManifest(() => ManifestLoader.LoadFile(manifestPath));
        progress.Done($"{manifest.Id} {manifest.Version}");

        var staging = Path.Combine(Path.GetTempPath(), "plugboard-pack-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(staging);
        var staged = new StagedPlugin(staging, manifest, Published: false);
        try
        {
            var projects = Directory.GetFiles(source, "*.csproj").Concat(Directory.GetFiles(source, "*.fsproj")).Order(StringComparer.Ordinal).ToList();
            if (projects.Count > 1)
            {
                throw new CliException(ExitCodes.PackageInvalid, $"{source} holds several projects ({string.Join(", ", projects.Select(Path.GetFileName))}); keep one plugin project per folder.");
            }

            if (projects.Count == 1)
            {
                await PublishAsync(projects[0], staging, configuration, manifest, progress, cancellationToken).ConfigureAwait(false);
                CopyFiles(source, staging, [.. DefaultExcludes, .. DotnetSourceExcludes], progress, onlyIfMissing: true, include: ["plugin.json", "README.md", "LICENSE*", manifest.Icon ?? "plugin.json"]);
                File.Copy(manifestPath, Path.Combine(staging, PluginManifest.FileName), overwrite: true);
                staged = staged with { Published = true };
            }
            else
            {
                progress.Step($"Copying {source}");
                var count = CopyFiles(source, staging, DefaultExcludes, progress, onlyIfMissing: false, include: null);
                progress.Done($"Copied {count} files");
            }

            progress.Step("Validating the package");
            var validated = LoadManifest(() => ManifestLoader.LoadFromDirectory(staging));
            progress.Done($"Manifest valid: {validated.Id} {validated.Version}");
            return staged with { Manifest = validated };
        }
        catch
        {
            staged.Dispose();
            throw;
        }
    }

    /// <summary>Stages <paramref name="sourceDirectory"/> and zips it into <paramref name="outputDirectory"/>.</summary>
    public static async Task<PackResult> PackAsync(string sourceDirectory, string outputDirectory, string configuration, Output.Progress progress, CancellationToken cancellationToken)
    {
        using var staged = await StageAsync(sourceDirectory, configuration, progress, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(outputDirectory);
        var zipPath = Path.Combine(Path.GetFullPath(outputDirectory), $"{staged.Manifest.Id}-{staged.Manifest.Version}.zip");
        progress.Step($"Writing {zipPath}");
        var files = Directory.EnumerateFiles(staged.Directory, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(staged.Directory, f).Replace('\\', '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        var temporary = zipPath + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        await using (var archive = new ZipArchive(stream, ZipArchiveMode.Create))
        {
            foreach (var (full, relative) in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entry = archive.CreateEntry(relative, CompressionLevel.Optimal);
                entry.LastWriteTime = FixedTimestamp;
                if (!OperatingSystem.IsWindows())
                {
                    // Regular file type plus the permission bits, in the high 16 bits (as zip and unzip on Unix expect).
                    entry.ExternalAttributes = (int)((0x8000u | (uint)File.GetUnixFileMode(full)) << 16);
                }

                await using var input = File.OpenRead(full);
                await using var output = await entry.OpenAsync(cancellationToken).ConfigureAwait(false);
                await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }

        File.Move(temporary, zipPath, overwrite: true);
        var size = new FileInfo(zipPath).Length;
        string sha;
        await using (var read = File.OpenRead(zipPath))
        {
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(read, cancellationToken).ConfigureAwait(false));
        }

        progress.Done($"Wrote {zipPath} ({files.Count} files, {size / 1024.0:0.#} KiB)");
        return new PackResult(zipPath, staged.Manifest, files.Count, size, sha);
    }

    private static async Task PublishAsync(string project, string output, string configuration, PluginManifest manifest, Output.Progress progress, CancellationToken cancellationToken)
    {
        progress.Step($"Publishing {Path.GetFileName(project)} ({configuration})");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(project)!,
        };
        foreach (var argument in (string[])["publish", project, "-c", configuration, "-o", output, "--nologo", "-clp:NoSummary"])
        {
            start.ArgumentList.Add(argument);
        }

        if (manifest.Execution.Kind == PluginExecutionKind.Dotnet)
        {
            start.ArgumentList.Add("-p:UseAppHost=false"); // Started as `dotnet <assembly>`: the native launcher is not needed.
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("PLUGBOARD_ARTIFACTS"); // The repository's shared build folder must not leak into a plugin's publish.
        var log = new List<string>();
        using var process = Process.Start(start) ?? throw new CliException(ExitCodes.PackageInvalid, "Could not start `dotnet publish`. Is the .NET SDK installed and on PATH?");
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        });

        async Task PumpAsync(StreamReader reader)
        {
            while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (log)
                {
                    log.Add(line);
                }

                if (line.Contains(": error ", StringComparison.Ordinal) || line.Contains(": warning ", StringComparison.Ordinal))
                {
                    progress.Detail(line.Trim());
                }
            }
        }

        await Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError), process.WaitForExitAsync(CancellationToken.None)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            progress.Fail($"dotnet publish failed (exit code {process.ExitCode})");
            var tail = string.Join(Environment.NewLine, log.TakeLast(30).Select(l => "  " + l));
            throw new CliException(ExitCodes.PackageInvalid, $"`dotnet publish {Path.GetFileName(project)} -c {configuration}` failed. Last output:{Environment.NewLine}{tail}{Environment.NewLine}Fix the build errors (run `dotnet build` in {Path.GetDirectoryName(project)}) and try again.");
        }

        progress.Done($"Published {Path.GetFileName(project)}");
    }

    private static int CopyFiles(string source, string target, IEnumerable<string> excludes, Output.Progress progress, bool onlyIfMissing, IReadOnlyList<string>? include)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(include ?? ["**/*"]);
        matcher.AddExcludePatterns(excludes);
        var ignoreFile = Path.Combine(source, IgnoreFileName);
        if (File.Exists(ignoreFile))
        {
            matcher.AddExcludePatterns(File.ReadAllLines(ignoreFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        }

        var links = new List<string>();
        var count = 0;
        foreach (var relative in matcher.GetResultsInFullPath(source).Select(f => Path.GetRelativePath(source, f)).Order(StringComparer.Ordinal))
        {
            var from = Path.Combine(source, relative);
            var info = new FileInfo(from);
            if (info.LinkTarget is not null || HasLinkedParent(source, relative))
            {
                links.Add(relative);
                continue;
            }

            var to = Path.Combine(target, relative);
            if (onlyIfMissing && File.Exists(to))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(to, File.GetUnixFileMode(from));
            }

            count++;
        }

        if (links.Count > 0)
        {
            progress.Detail($"Left out {links.Count} symbolic link(s), which packages cannot hold: {string.Join(", ", links.Take(5))}{(links.Count > 5 ? ", ..." : string.Empty)}. Copy the files they point to if the plugin needs them.");
        }

        return count;
    }

    private static bool HasLinkedParent(string root, string relative)
    {
        var directory = Path.GetDirectoryName(relative);
        while (!string.IsNullOrEmpty(directory))
        {
            if (new DirectoryInfo(Path.Combine(root, directory)).LinkTarget is not null)
            {
                return true;
            }

            directory = Path.GetDirectoryName(directory);
        }

        return false;
    }

    private static PluginManifest LoadManifest(Func<PluginManifest> load)
    {
        try
        {
            return load();
        }
        catch (ManifestValidationException ex)
        {
            var lines = string.Join(Environment.NewLine, ex.Errors.Select(e => "  " + e));
            throw new CliException(ExitCodes.PackageInvalid, $"{ex.SourceName ?? PluginManifest.FileName} is invalid:{Environment.NewLine}{lines}{Environment.NewLine}Fix these fields (docs/plugins.md describes the manifest) and try again.", ex);
        }
    }
}
