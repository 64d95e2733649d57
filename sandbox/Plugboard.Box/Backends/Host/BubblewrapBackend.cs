using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Box.Sessions;

namespace Plugboard.Box.Backends.Host;

/// <summary>
/// bubblewrap jails: every namespace unshared (the network too unless the profile allows it), a user namespace
/// that cannot create further user namespaces, a new session (no terminal injection), the jail killed when the Box
/// dies, only the host's system folders read-only, fresh <c>/proc</c> and <c>/dev</c>, the session's workspace and
/// <c>/tmp</c>, a cleared environment.
/// </summary>
internal sealed class BubblewrapBackend(HostJailOptions options, string dataDirectory, BoxIdentity identity, WorkspaceStore workspaces, ILogger logger)
    : HostJailBackend(options, dataDirectory, identity, workspaces, logger)
{
    public override string Name => BoxBackendNames.Bubblewrap;

    protected override string VersionFlag => "--version";

    internal override List<string> BuildJailArguments(string binary, JailSandbox sandbox, IReadOnlyList<string> argv, string workdir, IReadOnlyDictionary<string, string> env)
    {
        var arguments = Common(binary, sandbox.Spec.Network == BoxNetwork.On);
        arguments.AddRange(["--ro-bind", Path.Combine(sandbox.StateDirectory, "passwd"), "/etc/passwd", "--ro-bind", Path.Combine(sandbox.StateDirectory, "group"), "/etc/group"]);
        arguments.AddRange([sandbox.WorkspaceReadOnly ? "--ro-bind" : "--bind", sandbox.WorkspaceSource, SessionSpecResolver.WorkspacePath]);
        arguments.AddRange(["--bind", sandbox.Workspace.TmpPath, "/tmp"]);
        foreach (var mount in sandbox.Spec.ExtraMounts)
        {
            arguments.AddRange([mount.ReadOnly ? "--ro-bind" : "--bind", mount.HostPath, mount.MountPath]);
        }

        arguments.AddRange(["--chdir", workdir, "--clearenv"]);
        foreach (var (key, value) in BaseEnvironment(sandbox, env))
        {
            arguments.AddRange(["--setenv", key, value]);
        }

        arguments.Add("--");
        arguments.AddRange(argv);
        return arguments;
    }

    protected override IReadOnlyList<string> SmokeTestArguments(string binary) => [.. Common(binary, network: false), "--", "/bin/sh", "-c", "true"];

    private List<string> Common(string binary, bool network)
    {
        var inner = Options.SandboxUid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var arguments = new List<string> { binary, "--unshare-all" };
        if (network)
        {
            arguments.Add("--share-net");
        }

        arguments.AddRange(["--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--uid", inner, "--gid", inner, "--hostname", "box"]);
        foreach (var (path, target) in SystemBinds())
        {
            arguments.AddRange(target is null ? ["--ro-bind", path, path] : ["--symlink", target, path]);
        }

        arguments.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        return arguments;
    }
}
