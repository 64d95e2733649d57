using Plugboard.Box.Security;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Tests.Unit;

public sealed class MountValidatorTests
{
    private readonly string _root = TestPaths.NewDirectory("validator");
    private readonly string _data;
    private readonly MountValidator _validator;

    public MountValidatorTests()
    {
        _data = Path.Combine(_root, "box-data");
        Directory.CreateDirectory(_data);
        Directory.CreateDirectory(Path.Combine(_root, "projects", "app"));
        File.WriteAllText(Path.Combine(_root, "projects", "app", "file.txt"), "x");
        _validator = new MountValidator([_root, "/nonexistent-root"], ["/var/run/docker.sock", _data]);
    }

    [Fact]
    public void ValidateHostPath_FolderAndFileUnderTheRoot_AreAccepted()
    {
        Assert.True(_validator.ValidateHostPath(Path.Combine(_root, "projects", "app")).IsDirectory);
        Assert.False(_validator.ValidateHostPath(Path.Combine(_root, "projects", "app", "file.txt")).IsDirectory);
        Assert.Contains(_validator.Problems, p => p.Contains("/nonexistent-root", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidateHostPath_SymlinkAnywhere_IsRejected()
    {
        var link = Path.Combine(_root, "projects", "to-etc");
        File.CreateSymbolicLink(link, "/etc");
        var dirLink = Path.Combine(_root, "linked");
        Directory.CreateSymbolicLink(dirLink, Path.Combine(_root, "projects"));

        Assert.Contains("symlink", Rejected(link), StringComparison.Ordinal);
        Assert.Contains("symlink", Rejected(Path.Combine(dirLink, "app")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("relative")]
    [InlineData("/etc")]
    [InlineData("/etc/ssl")]
    [InlineData("/proc/1/root")]
    [InlineData("/var/run/docker.sock")]
    [InlineData("/var")]
    [InlineData("/root")]
    [InlineData("/boot")]
    [InlineData("/dev/null")]
    [InlineData("/usr/bin")]
    public void ValidateHostPath_SystemAndOutsidePaths_AreRejected(string path) => Rejected(path);

    [Fact]
    public void ValidateHostPath_NonCanonicalForms_AreRejected()
    {
        Assert.Contains("canonical", Rejected(_root + "/projects/../projects/app"), StringComparison.Ordinal);
        Assert.Contains("canonical", Rejected(_root + "/projects/./app"), StringComparison.Ordinal);
        Assert.Contains("canonical", Rejected(_root + "//projects"), StringComparison.Ordinal);
        Assert.Contains("canonical", Rejected(_root + "/projects/"), StringComparison.Ordinal);
        Assert.Contains("control", Rejected(_root + "/projects\0/app"), StringComparison.Ordinal);
        Assert.Contains("does not exist", Rejected(_root + "/missing"), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateHostPath_TheBoxDataAndItsAncestors_AreRejected()
    {
        Rejected(_data);
        Rejected(Path.Combine(_data, "workspaces"));
        Assert.Contains("contains", Rejected(_root), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateHostPath_NoAllowedRoots_RejectsEverything()
    {
        var empty = new MountValidator([], []);
        var error = Assert.Throws<JsonRpcException>(() => empty.ValidateHostPath(Path.Combine(_root, "projects")));
        Assert.Contains("AllowedMountRoots is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateHostPath_SocketInAnAllowedRoot_IsRejected()
    {
        var socketPath = Path.Combine(_root, "projects", "app.sock");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        Assert.Contains("neither a folder nor a regular file", Rejected(socketPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/workspace/data", true)]
    [InlineData("/mnt/skills/x", true)]
    [InlineData("/", false)]
    [InlineData("/etc", false)]
    [InlineData("/proc/self", false)]
    [InlineData("/dev/shm", false)]
    [InlineData("/tmp", false)]
    [InlineData("mnt", false)]
    [InlineData("/mnt/../etc", false)]
    [InlineData("/mnt/a,b", false)]
    public void ValidateTarget_AcceptsOnlyPlainPathsOutsideSystemFolders(string target, bool accepted)
    {
        if (accepted)
        {
            Assert.Equal(target, MountValidator.ValidateTarget(target, "mountPath"));
        }
        else
        {
            Assert.Equal(PlugboardErrorCodes.BoxInvalidRequest, Assert.Throws<JsonRpcException>(() => MountValidator.ValidateTarget(target, "mountPath")).Code);
        }
    }

    private string Rejected(string path)
    {
        var error = Assert.Throws<JsonRpcException>(() => _validator.ValidateHostPath(path));
        Assert.Equal(PlugboardErrorCodes.BoxMountRejected, error.Code);
        return error.Message;
    }
}
