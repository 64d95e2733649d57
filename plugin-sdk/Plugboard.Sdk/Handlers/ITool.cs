namespace Plugboard.Sdk;

/// <summary>
/// A tool resolved from dependency injection (one instance per invocation, from its own service scope).
/// Register it with <see cref="PluginAppBuilder.AddTool{TTool}(string, string?)"/>; the tool's parameter schema is
/// generated from <typeparamref name="TArgs"/>.
/// </summary>
/// <typeparam name="TArgs">The arguments object, deserialized from the call's JSON arguments.</typeparam>
/// <typeparam name="TResult">The result, serialized to JSON for the caller.</typeparam>
public interface ITool<in TArgs, TResult>
{
    /// <summary>Runs the tool.</summary>
    /// <param name="arguments">The arguments, already validated against the generated schema by the runtime.</param>
    /// <param name="context">Cancellation, progress reporting and the runtime client.</param>
    ValueTask<TResult> InvokeAsync(TArgs arguments, ToolContext context);
}
