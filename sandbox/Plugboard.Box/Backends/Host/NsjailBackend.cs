using System.Globalization;
using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Host;

/// <summary>
/// nsjail jails (used when its binary exists; it is not packaged for Debian 12): the same file system layout as the
/// bubblewrap backend, with nsjail's own rlimits (its defaults are replaced by the session's: nsjail would otherwise
/// cap files at 1 MiB and open files at 32) and no time limit of its own (the Box enforces the wall clock).
/// </summary>
internal sealed class NsjailBackend(HostJailOptions options, string dataDirectory, BoxIdentity identity, WorkspaceStore workspaces, ILogger logger)
    : HostJailBackend(options, dataDirectory, identity, workspaces, logger)
{
    public override string Name => BoxBackendNames.Nsjail;

    protected override string VersionFlag => "--help";

    protected override bool UsesPrlimit => false;

    internal override List<string> BuildJailArguments(string binary, JailSandbox sandbox, IReadOnlyList<string> argv, string workdir, IReadOnlyDictionary<string, string> env)
    {
        var limits = sandbox.Spec.Limits;
        var arguments = Common(binary, sandbox.Spec.Network == BoxNetwork.On);
        arguments.AddRange(["--cwd", workdir]);
        arguments.AddRange(["--rlimit_fsize", limits.MaxFileSizeMb.ToString(CultureInfo.InvariantCulture)]);
        arguments.AddRange(["--rlimit_nofile", limits.MaxOpenFiles.ToString(CultureInfo.InvariantCulture)]);
        arguments.AddRange(["--rlimit_as", sandbox.Cgroups is null ? Math.Max(limits.MemoryMb * 2, 1024).ToString(CultureInfo.InvariantCulture) : "inf"]);
        arguments.AddRange(["-R", Path.Combine(sandbox.StateDirectory, "passwd") + ":/etc/passwd", "-R", Path.Combine(sandbox.StateDirectory, "group") + ":/etc/group"]);
        arguments.AddRange([sandbox.WorkspaceReadOnly ? "-R" : "-B", sandbox.WorkspaceSource + ":" + SessionSpecResolver.WorkspacePath]);
        arguments.AddRange(["-B", sandbox.Workspace.TmpPath + ":/tmp"]);
        foreach (var mount in sandbox.Spec.ExtraMounts)
        {
            arguments.AddRange([mount.ReadOnly ? "-R" : "-B", mount.HostPath + ":" + mount.MountPath]);
        }

        foreach (var (key, value) in BaseEnvironment(sandbox, env))
        {
            arguments.AddRange(["-E", key + "=" + value]);
        }

        arguments.Add("--");
        arguments.AddRange(argv);
        return arguments;
    }

    protected override IReadOnlyList<string> SmokeTestArguments(string binary) => [.. Common(binary, network: false), "--", "/bin/sh", "-c", "true"];

    private List<string> Common(string binary, bool network)
    {
        var inner = Options.SandboxUid.ToString(CultureInfo.InvariantCulture);
        var (uid, gid) = HostIdentity;
        var arguments = new List<string>
        {
            binary, "--mode", "o", "--really_quiet", "--hostname", "box",
            "--user", $"{inner}:{uid.ToString(CultureInfo.InvariantCulture)}:1", "--group", $"{inner}:{gid.ToString(CultureInfo.InvariantCulture)}:1",
            "--time_limit", "0", "--rlimit_cpu", "inf", "--rlimit_core", "0", "--rlimit_nproc", "soft",
        };
        if (network)
        {
            arguments.Add("--disable_clone_newnet");
        }

        foreach (var (path, target) in SystemBinds())
        {
            arguments.AddRange(target is null ? ["-R", path] : ["--symlink", target + ":" + path]);
        }

        return arguments;
    }
}
