using System.Text;
using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Box.Tests.Docker;

/// <summary>The file operations run inside the session and refuse symlinks planted in it.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerFileTests(DockerBoxFixture fixture)
{
    private BoxClient Client => fixture.Client;

    [Fact]
    public async Task WriteThenRead_RoundTripsBytesInsideTheSession()
    {
        var session = DockerBoxFixture.NewSessionId("files");
        var content = Encoding.UTF8.GetBytes("line one\nünïcödé\n\0binary\n");
        var written = await Client.WriteFileAsync(new BoxFileWriteParams(session, "notes/today.txt", content));
        Assert.Equal("/workspace/notes/today.txt", written.Path);

        var read = await Client.ReadFileAsync(new BoxFileReadParams(session, "/workspace/notes/today.txt"));
        Assert.Equal(content, read.Content);
        Assert.Equal(content.Length, read.Size);
        Assert.False(read.Truncated);

        var partial = await Client.ReadFileAsync(new BoxFileReadParams(session, "notes/today.txt", MaxBytes: 4));
        Assert.Equal("line"u8.ToArray(), partial.Content);
        Assert.True(partial.Truncated);

        var seen = await Client.ShAsync(session, "cat /workspace/notes/today.txt | head -n 1; id -u; stat -c %u /workspace/notes/today.txt");
        Assert.Equal("line one\n1000\n1000\n", seen.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task ReadAndWrite_PlantedSymlinks_AreRefused()
    {
        var session = DockerBoxFixture.NewSessionId("planted");
        await Client.ShAsync(session, "ln -s /etc/passwd /workspace/link; ln -s /etc /workspace/etcdir; ln -s /workspace/real /workspace/tolocal; echo x > /workspace/real");

        var direct = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.ReadFileAsync(new BoxFileReadParams(session, "link")));
        Assert.Contains("symlink", direct.Message, StringComparison.Ordinal);
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.ReadFileAsync(new BoxFileReadParams(session, "etcdir/passwd")));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.ReadFileAsync(new BoxFileReadParams(session, "tolocal")));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.WriteFileAsync(new BoxFileWriteParams(session, "link", "pwned"u8.ToArray())));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.WriteFileAsync(new BoxFileWriteParams(session, "etcdir/evil", "pwned"u8.ToArray())));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileNotFound, () => Client.ReadFileAsync(new BoxFileReadParams(session, "missing.txt")));
        await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxInvalidRequest, () => Client.ReadFileAsync(new BoxFileReadParams(session, "../etc/passwd")));

        var untouched = await Client.ShAsync(session, "cat /workspace/real");
        Assert.Equal("x\n", untouched.Stdout);
        await Client.DeleteSessionAsync(session);
    }

    [Fact]
    public async Task Write_ReadOnlyFileSystem_IsRefusedWithTheReason()
    {
        var session = DockerBoxFixture.NewSessionId("rofs");
        var error = await BoxAssert.FailsWithAsync(PlugboardErrorCodes.BoxFileAccessDenied, () => Client.WriteFileAsync(new BoxFileWriteParams(session, "/usr/evil", "x"u8.ToArray())));
        Assert.Contains("Read-only file system", error.Message, StringComparison.Ordinal);
        await Client.DeleteSessionAsync(session);
    }
}
