namespace Plugboard.Sdk;

/// <summary>
/// A command resolved from dependency injection (one instance per execution, from its own service scope).
/// Register it with <see cref="PluginAppBuilder.AddCommand{TCommand}(string, IReadOnlyList{string}?, string?, string?)"/>.
/// </summary>
public interface ICommand
{
    /// <summary>Runs the command; write output with <see cref="CommandContext.WriteAsync"/>.</summary>
    /// <returns>The exit code: 0 for success.</returns>
    ValueTask<int> ExecuteAsync(CommandContext context);
}
