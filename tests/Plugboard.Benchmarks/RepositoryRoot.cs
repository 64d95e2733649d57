using System.Reflection;

namespace Plugboard.Benchmarks;

/// <summary>Finds the repository (the folder holding Runtime.sln) for the Node peers under tests/interop/node.</summary>
internal static class RepositoryRoot
{
    /// <summary>
    /// Walks up from the program's folder, then from the current folder, then falls back to where the program was
    /// built from (builds with PLUGBOARD_ARTIFACTS put the program outside the repository).
    /// </summary>
    public static string? Find()
    {
        var builtFrom = typeof(RepositoryRoot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory, builtFrom })
        {
            for (var directory = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }
}
