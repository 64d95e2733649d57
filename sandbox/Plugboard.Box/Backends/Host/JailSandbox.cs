using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Host;

/// <summary>A jailed session's host state: its workspace, its private <c>/etc</c> files, its cgroups.</summary>
internal sealed class JailSandbox(ResolvedSessionSpec spec, string name, string stateDirectory, HostWorkspace workspace, CgroupSet? cgroups) : SandboxHandle(spec)
{
    /// <summary>The session's key for cgroup and state folder names.</summary>
    public string Name { get; } = name;

    /// <summary>Holds the session's <c>passwd</c> and <c>group</c> files.</summary>
    public string StateDirectory { get; } = stateDirectory;

    public HostWorkspace Workspace { get; } = workspace;

    public CgroupSet? Cgroups { get; } = cgroups;

    /// <summary>The host folder seen as <c>/workspace</c>.</summary>
    public string WorkspaceSource => Spec.WorkspaceHost?.HostPath ?? Workspace.WorkspacePath;

    public bool WorkspaceReadOnly => Spec.WorkspaceHost?.ReadOnly ?? false;

    public override string Image => "host";

    public override string WorkspaceDescription => Spec.WorkspaceHost is { } host
        ? $"host {host.HostPath}{(host.ReadOnly ? " (read-only)" : "")}"
        : Workspace.Description;
}
