using System.Text.Json.Serialization;

namespace Plugboard.Box.Docker;

// Typed bodies of the Docker Engine API 1.41 calls the Box makes (docs/api/v1.41.yaml of moby v20.10).
// Only the fields the Box reads or writes are declared; names follow the API (PascalCase).

internal sealed class ContainerCreateRequest
{
    public string? Image { get; set; }

    public IList<string>? Entrypoint { get; set; }

    public IList<string>? Cmd { get; set; }

    public string? User { get; set; }

    public string? WorkingDir { get; set; }

    public IList<string>? Env { get; set; }

    public IDictionary<string, string>? Labels { get; set; }

    public bool? NetworkDisabled { get; set; }

    public int? StopTimeout { get; set; }

    public bool? Tty { get; set; }

    public bool? OpenStdin { get; set; }

    public HostConfig? HostConfig { get; set; }
}

internal sealed class HostConfig
{
    public long? Memory { get; set; }

    public long? MemorySwap { get; set; }

    public long? NanoCpus { get; set; }

    public long? PidsLimit { get; set; }

    public IList<Ulimit>? Ulimits { get; set; }

    public bool? ReadonlyRootfs { get; set; }

    public IDictionary<string, string>? Tmpfs { get; set; }

    public IList<MountSpec>? Mounts { get; set; }

    public string? NetworkMode { get; set; }

    public IList<string>? CapDrop { get; set; }

    public IList<string>? CapAdd { get; set; }

    public IList<string>? SecurityOpt { get; set; }

    public bool? Privileged { get; set; }

    public bool? Init { get; set; }

    public string? IpcMode { get; set; }

    public long? ShmSize { get; set; }

    public string? CgroupnsMode { get; set; }

    public string? Runtime { get; set; }

    public int? OomScoreAdj { get; set; }

    public bool? AutoRemove { get; set; }

    public LogConfig? LogConfig { get; set; }

    public RestartPolicy? RestartPolicy { get; set; }
}

internal sealed record Ulimit(string Name, long Soft, long Hard);

internal sealed class MountSpec
{
    public string Type { get; set; } = "bind";

    public string? Source { get; set; }

    public string? Target { get; set; }

    public bool ReadOnly { get; set; }

    public BindOptions? BindOptions { get; set; }
}

internal sealed record BindOptions(string Propagation, bool NonRecursive = false);

internal sealed record LogConfig(string Type);

internal sealed record RestartPolicy(string Name);

internal sealed record IdResponse(string Id);

internal sealed record ErrorResponse([property: JsonPropertyName("message")] string? Message);

internal sealed class ContainerInspect
{
    public string Id { get; set; } = "";

    public ContainerState? State { get; set; }

    public IList<MountPoint>? Mounts { get; set; }

    public ContainerConfigView? Config { get; set; }

    public HostConfigView? HostConfig { get; set; }
}

internal sealed class ContainerState
{
    public string? Status { get; set; }

    public bool Running { get; set; }

    public bool OOMKilled { get; set; }

    public int ExitCode { get; set; }

    public int Pid { get; set; }
}

internal sealed class MountPoint
{
    public string? Type { get; set; }

    public string? Source { get; set; }

    public string? Destination { get; set; }

    public bool RW { get; set; }
}

internal sealed class ContainerConfigView
{
    public IDictionary<string, string>? Labels { get; set; }
}

internal sealed class HostConfigView
{
    public long? PidsLimit { get; set; }
}

internal sealed class ContainerSummary
{
    public string Id { get; set; } = "";

    public IList<string>? Names { get; set; }

    public IDictionary<string, string>? Labels { get; set; }

    public string? State { get; set; }

    public long Created { get; set; }
}

internal sealed class ExecCreateRequest
{
    public bool AttachStdin { get; set; }

    public bool AttachStdout { get; set; } = true;

    public bool AttachStderr { get; set; } = true;

    public bool Tty { get; set; }

    public IList<string>? Cmd { get; set; }

    public IList<string>? Env { get; set; }

    public string? WorkingDir { get; set; }

    public string? User { get; set; }

    public bool Privileged { get; set; }
}

internal sealed record ExecStartRequest(bool Detach, bool Tty);

internal sealed class ExecInspect
{
    [JsonPropertyName("ID")]
    public string? Id { get; set; }

    public bool Running { get; set; }

    public int? ExitCode { get; set; }

    public int Pid { get; set; }
}

internal sealed class VersionResponse
{
    public string? Version { get; set; }

    public string? ApiVersion { get; set; }

    public string? KernelVersion { get; set; }
}

internal sealed class InfoResponse
{
    public IDictionary<string, RuntimeInfo>? Runtimes { get; set; }

    public IList<string>? SecurityOptions { get; set; }

    public string? CgroupVersion { get; set; }

    public string? Driver { get; set; }
}

internal sealed class RuntimeInfo
{
    [JsonPropertyName("path")]
    public string? Path { get; set; }
}

internal sealed class ContainerUpdateRequest
{
    public long? PidsLimit { get; set; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(IdResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ExecCreateRequest))]
[JsonSerializable(typeof(ExecStartRequest))]
[JsonSerializable(typeof(ExecInspect))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(ContainerUpdateRequest))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;
