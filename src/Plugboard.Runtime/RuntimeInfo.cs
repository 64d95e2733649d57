using System.Reflection;

namespace Plugboard.Runtime;

/// <summary>Facts about this runtime build.</summary>
public static class RuntimeInfo
{
    /// <summary>The runtime's informational version.</summary>
    public static string Version { get; } =
        typeof(RuntimeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
