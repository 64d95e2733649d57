using System.ComponentModel;

namespace Company.Plugin1;

/// <summary>What the plugin does, kept apart from the wiring in Program.cs so that tests can call it directly.</summary>
public static class Greeter
{
    /// <summary>The greeting for <paramref name="name"/>.</summary>
    public static string Greet(string name) => $"Hello, {name}!";
}

/// <summary>The greet tool's arguments.</summary>
/// <param name="Name">Who to greet.</param>
public sealed record GreetArgs([property: Description("Who to greet.")] string Name);

/// <summary>The greet tool's result.</summary>
/// <param name="Text">The greeting.</param>
public sealed record Greeting(string Text);
