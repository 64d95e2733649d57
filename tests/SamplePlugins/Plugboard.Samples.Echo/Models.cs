using System.ComponentModel;

namespace Plugboard.Samples.Echo;

/// <summary>Tool argument and result types; the tool parameter schemas in plugin.json are generated from these.</summary>
internal sealed record NoArgs;

internal sealed record EchoArgs([property: Description("The text to echo.")] string Text);

internal sealed record EchoResult(string Text);

internal sealed record SlowArgs([property: Description("How long to wait, in milliseconds.")] int Milliseconds);

internal sealed record SlowResult(int Milliseconds);

internal sealed record ProgressArgs([property: Description("How many progress reports to send.")] int Count);

internal sealed record ProgressStep(int Step, int Total);

internal sealed record ProgressResult(int Count);

internal sealed record CountResult(int Count);

internal sealed record RememberArgs(string Key, string Value);

internal sealed record RememberResult(long? Version);

internal sealed record RecallArgs(string Key);

internal sealed record RecallResult(bool Found, string? Value);

internal sealed record GreetArgs(string Name);

internal sealed record MessageData(string? Text = null);

internal sealed record Reply(string Text);

internal sealed record SampleConfig(string Greeting = "Hello");
