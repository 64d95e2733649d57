using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;

namespace Plugboard.Box.Tests.Bubblewrap;

/// <summary>One bubblewrap-backed Box shared by the bubblewrap tests.</summary>
public sealed class BubblewrapBoxFixture : IAsyncLifetime
{
    public BoxProcess Box { get; private set; } = null!;

    public BoxClient Client => Box.Client;

    public string MountRoot { get; } = TestPaths.NewDirectory("bwrap-mounts");

    public async Task InitializeAsync()
    {
        Box = await BoxProcess.StartAsync(new Dictionary<string, string>
        {
            ["Backend"] = BoxBackendNames.Bubblewrap,
            ["AllowedMountRoots__0"] = MountRoot,
            ["ReaperIntervalSeconds"] = "1",
        });
        Assert.True(Box.Hello.Backend == BoxBackendNames.Bubblewrap, "bubblewrap is not available: " + string.Join("; ", (await Box.Client.BackendsAsync()).Select(b => $"{b.Name}: {b.Reason}")));
    }

    public async Task DisposeAsync() => await Box.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class BubblewrapCollection : ICollectionFixture<BubblewrapBoxFixture>
{
    public const string Name = "bubblewrap";
}
