namespace Plugboard.Cli.Tests.EndToEnd;

/// <summary>Tests that start real runtimes and plugins run one class at a time (the CI machines have two cores).</summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
