using System.Reflection;
using System.Text.Json;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>plugin.json against the runtime's manifest loader and against what the adapter implements.</summary>
public sealed class ManifestTests
{
    private static readonly AdapterComponent Adapter = LoadManifest().Components.Adapters.Single();

    [Fact]
    public void Manifest_LoadsAndDeclaresTheQQBotAdapterRunByDotnet()
    {
        var manifest = LoadManifest();

        Assert.Equal("plugboard.qqbot", manifest.Id);
        Assert.Equal("qqbot", Adapter.Platform);
        Assert.Equal("Plugboard.Plugins.QQBot.dll", manifest.Execution.Dotnet);
    }

    [Fact]
    public void Manifest_ApisAndActions_MatchTheAdapter()
    {
        Assert.Equal(QQBotAdapter.Apis.Except(AdapterApis.Required).Order(), Adapter.Apis.Order());
        Assert.Equal(QQBotAdapter.Actions.Order(), Adapter.Actions.Select(a => a.Name).Order());
    }

    [Fact]
    public void Manifest_ConfigFields_AreTheOnesTheAdapterReads()
    {
        // Every declared field with its default parses, and the secret is marked sensitive.
        var values = Adapter.Config.Where(f => f.Default is not null).ToDictionary(f => f.Name, f => f.Default!.Value);
        values["appId"] = JsonSerializer.SerializeToElement("102056411");
        values["clientSecret"] = JsonSerializer.SerializeToElement("s");
        var config = QQBotConfig.Parse(JsonSerializer.SerializeToElement(values));

        Assert.Equal(QQIntents.Default, config.Intents);
        Assert.Equal(ConfigFieldType.Secret, Adapter.Config.Single(f => f.Name == "clientSecret").Type);
        Assert.All(Adapter.Config, f => Assert.False(string.IsNullOrEmpty(f.Description), f.Name + " has no description"));
    }

    [Fact]
    public void Manifest_Events_IncludeEveryMappedType()
    {
        Assert.Subset(Adapter.Events.ToHashSet(), new HashSet<string>
        {
            EventTypes.MessageReceived,
            EventTypes.FriendAdded,
            EventTypes.FriendRemoved,
            EventTypes.BotInvitedToGroup,
            EventTypes.BotRemovedFromGroup,
            "platform.qqbot.interaction",
            "platform.qqbot.gateway_stopped",
        });
    }

    private static PluginManifest LoadManifest()
    {
        var assembly = typeof(ManifestTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "QQBotPluginAssembly").Value!;
        return ManifestLoader.LoadFromDirectory(Path.GetDirectoryName(assembly)!);
    }
}
