namespace Plugboard.Plugins.QQBot;

/// <summary>The plugin process entry point.</summary>
public static class Program
{
    /// <summary>Runs the adapter plugin until the runtime ends it.</summary>
    public static Task<int> Main(string[] args) => Task.FromResult(0);
}
