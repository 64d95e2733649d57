using System.Text;

namespace Plugboard.Sdk;

/// <summary>What a command knows about its execution, and where it writes output.</summary>
public sealed class CommandContext
{
    private readonly Func<string, ValueTask>? _stream;
    private readonly StringBuilder _buffer = new();

    internal CommandContext(string command, IReadOnlyList<string> arguments, IServiceProvider services, IPluginRuntime runtime, Func<string, ValueTask>? stream, CancellationToken cancellationToken)
    {
        Command = command;
        Arguments = arguments;
        Services = services;
        Runtime = runtime;
        _stream = stream;
        CancellationToken = cancellationToken;
    }

    /// <summary>The name the command was invoked by (its name or one of its aliases).</summary>
    public string Command { get; }

    /// <summary>The command-line arguments after the name.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The services of this execution's scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The client for the runtime API (storage, config, tools, events).</summary>
    public IPluginRuntime Runtime { get; }

    /// <summary>Fires when the caller cancels, the runtime's timeout expires, or the plugin shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Whether output is streamed to the caller as it is written (the caller supplied a progress token). Otherwise
    /// output is collected and returned with the exit code.
    /// </summary>
    public bool IsStreaming => _stream is not null;

    /// <summary>Writes output: sent at once as a <c>$/progress</c> text chunk when streaming, collected otherwise.</summary>
    public ValueTask WriteAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_stream is not null)
        {
            return _stream(text);
        }

        lock (_buffer)
        {
            _buffer.Append(text);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Writes a line of output (the text followed by <c>\n</c>).</summary>
    public ValueTask WriteLineAsync(string text = "") => WriteAsync(text + "\n");

    /// <summary>The collected output when not streaming; <see langword="null"/> when streamed or empty.</summary>
    internal string? CollectedOutput()
    {
        lock (_buffer)
        {
            return _buffer.Length == 0 ? null : _buffer.ToString();
        }
    }
}
