using System.Text.Json.Serialization;

namespace Plugboard.Runtime.Plugins;

/// <summary>How a plugin is started.</summary>
public enum PluginExecutionKind
{
    /// <summary>A program (<see cref="PluginExecution.Command"/>) with arguments.</summary>
    Command,

    /// <summary>A .NET assembly (<see cref="PluginExecution.Dotnet"/>) run with the <c>dotnet</c> host.</summary>
    Dotnet,
}

/// <summary>
/// How the runtime starts the plugin process: either <see cref="Command"/> or <see cref="Dotnet"/> is set, never both.
/// </summary>
public sealed class PluginExecution
{
    /// <summary>
    /// The program to run: a name looked up on PATH (<c>node</c>, <c>python3</c>), a path relative to the plugin
    /// folder (<c>bin/weather</c>, <c>./run.sh</c>; must stay inside the folder), or an absolute path.
    /// </summary>
    public string? Command { get; init; }

    /// <summary>The path of a .NET assembly relative to the plugin folder (e.g. <c>bin/Acme.Weather.dll</c>), run as <c>dotnet &lt;path&gt;</c>.</summary>
    public string? Dotnet { get; init; }

    /// <summary>Arguments passed after the program or assembly.</summary>
    public IReadOnlyList<string> Args { get; init => field = value ?? []; } = [];

    /// <summary>Environment variables added to the runtime's environment for the plugin process.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init => field = value ?? new Dictionary<string, string>(); } = new Dictionary<string, string>();

    /// <summary>The working directory relative to the plugin folder (default: the plugin folder); must stay inside it.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Which form this is.</summary>
    [JsonIgnore]
    public PluginExecutionKind Kind => Dotnet is not null ? PluginExecutionKind.Dotnet : PluginExecutionKind.Command;

    /// <summary>The absolute working directory for a plugin installed in <paramref name="pluginDirectory"/>.</summary>
    /// <param name="pluginDirectory">The plugin folder (the one holding <c>plugin.json</c>).</param>
    /// <returns>The full path of the working directory.</returns>
    public string GetWorkingDirectory(string pluginDirectory)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectory);
        return string.IsNullOrEmpty(WorkingDirectory)
            ? Path.GetFullPath(pluginDirectory)
            : Path.GetFullPath(Path.Combine(pluginDirectory, WorkingDirectory));
    }

    /// <summary>
    /// The program to start: <c>dotnet</c> for an assembly, the full path for a command that is a relative path,
    /// or the command unchanged when it is a bare name (looked up on PATH) or an absolute path.
    /// </summary>
    /// <param name="pluginDirectory">The plugin folder (the one holding <c>plugin.json</c>).</param>
    /// <returns>The file name for <see cref="System.Diagnostics.ProcessStartInfo.FileName"/>.</returns>
    public string GetProgram(string pluginDirectory)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectory);
        if (Kind == PluginExecutionKind.Dotnet)
        {
            return "dotnet";
        }

        var command = Command!;
        return Path.IsPathRooted(command) || command.IndexOfAny(['/', '\\']) < 0
            ? command
            : Path.GetFullPath(Path.Combine(pluginDirectory, command));
    }

    /// <summary>The full argument list: the assembly path first for <see cref="PluginExecutionKind.Dotnet"/>, then <see cref="Args"/>.</summary>
    /// <param name="pluginDirectory">The plugin folder (the one holding <c>plugin.json</c>).</param>
    /// <returns>The arguments for <see cref="System.Diagnostics.ProcessStartInfo.ArgumentList"/>.</returns>
    public IReadOnlyList<string> GetArguments(string pluginDirectory)
    {
        ArgumentNullException.ThrowIfNull(pluginDirectory);
        return Kind == PluginExecutionKind.Dotnet
            ? [Path.GetFullPath(Path.Combine(pluginDirectory, Dotnet!)), .. Args]
            : Args;
    }
}
