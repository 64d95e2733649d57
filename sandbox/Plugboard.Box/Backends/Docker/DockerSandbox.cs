using Plugboard.Box.Docker;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Docker;

/// <summary>A session's container. The container id changes when the Box has to recreate it.</summary>
internal sealed class DockerSandbox(ResolvedSessionSpec spec, string containerId, string image, string workspaceDescription, ContainerCreateRequest body, HostWorkspace? hostWorkspace)
    : SandboxHandle(spec)
{
    private string _containerId = containerId;

    public string ContainerId
    {
        get => Volatile.Read(ref _containerId);
        set => Volatile.Write(ref _containerId, value);
    }

    public override string Image { get; } = image;

    public override string WorkspaceDescription { get; } = workspaceDescription;

    /// <summary>The create body, reused when the container must be recreated.</summary>
    public ContainerCreateRequest Body { get; } = body;

    /// <summary>The Box-managed host folder bound at /workspace (persistent sessions), if any.</summary>
    public HostWorkspace? HostWorkspace { get; } = hostWorkspace;

    /// <summary>Serializes recreation.</summary>
    public SemaphoreSlim RecreateGate { get; } = new(1, 1);
}
