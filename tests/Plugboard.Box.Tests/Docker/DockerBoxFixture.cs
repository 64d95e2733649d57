using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;

namespace Plugboard.Box.Tests.Docker;

/// <summary>One Docker-backed Box shared by the Docker tests (sessions are cheap; the process is reused).</summary>
public sealed class DockerBoxFixture : IAsyncLifetime
{
    public BoxProcess Box { get; private set; } = null!;

    public BoxClient Client => Box.Client;

    /// <summary>A host folder under the Box's allowed mount roots.</summary>
    public string MountRoot { get; } = TestPaths.NewDirectory("mounts");

    public async Task InitializeAsync()
    {
        Box = await BoxProcess.StartAsync(new Dictionary<string, string>
        {
            ["Backend"] = BoxBackendNames.Docker,
            ["AllowedMountRoots__0"] = MountRoot,
            ["ReaperIntervalSeconds"] = "1",
        });
        Assert.Equal(BoxBackendNames.Docker, Box.Hello.Backend);
    }

    public async Task DisposeAsync() => await Box.DisposeAsync();

    public static string NewSessionId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 13)];
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerBoxFixture>
{
    public const string Name = "docker";
}

/// <summary>Shortcuts shared by the Docker and bubblewrap suites.</summary>
public static class BoxClientExtensions
{
    public static Task<BoxExecResult> ShAsync(this BoxClient client, string sessionId, string command, double timeoutSeconds = 30, BoxSessionSpec? session = null)
        => client.ExecAsync(new BoxExecParams { SessionId = sessionId, Command = command, TimeoutSeconds = timeoutSeconds, Session = session });

    /// <summary>The Box answers status and runs a command in a fresh session within a few seconds.</summary>
    public static async Task AssertResponsiveAsync(this BoxClient client)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await client.StatusAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var session = DockerBoxFixture.NewSessionId("canary");
        var result = await client.ShAsync(session, "echo alive").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("alive\n", result.Stdout);
        await client.DeleteSessionAsync(session);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"The Box took {stopwatch.Elapsed} to answer after the attack.");
    }
}
