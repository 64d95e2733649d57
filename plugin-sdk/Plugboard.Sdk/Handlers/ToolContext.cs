using System.Text.Json;

namespace Plugboard.Sdk;

/// <summary>What a tool knows about the invocation it serves.</summary>
public sealed class ToolContext
{
    private readonly Func<JsonElement, ValueTask>? _progress;

    internal ToolContext(string tool, IServiceProvider services, IPluginRuntime runtime, JsonSerializerOptions serializer, Func<JsonElement, ValueTask>? progress, CancellationToken cancellationToken)
    {
        Tool = tool;
        Services = services;
        Runtime = runtime;
        SerializerOptions = serializer;
        _progress = progress;
        CancellationToken = cancellationToken;
    }

    /// <summary>The tool name the runtime invoked.</summary>
    public string Tool { get; }

    /// <summary>The services of this invocation's scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The client for the runtime API (storage, config, tools, events).</summary>
    public IPluginRuntime Runtime { get; }

    /// <summary>Fires when the caller cancels (<c>$/cancelRequest</c>), the runtime's timeout expires, or the plugin shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Whether the caller asked for progress reports; when <see langword="false"/>, <see cref="ReportProgressAsync{T}"/> does nothing.</summary>
    public bool CanReportProgress => _progress is not null;

    internal JsonSerializerOptions SerializerOptions { get; }

    /// <summary>
    /// Sends a progress report (or a chunk of streamed output) to the caller as <c>$/progress</c>, serialized with the
    /// app's serializer options. Reports arrive in order and before the tool's result.
    /// </summary>
    public ValueTask ReportProgressAsync<T>(T value)
        => _progress is null ? ValueTask.CompletedTask : _progress(JsonSerializer.SerializeToElement(value, SerializerOptions.GetTypeInfo(typeof(T))));
}
