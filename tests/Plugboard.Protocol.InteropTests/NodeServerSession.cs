using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.InteropTests;

/// <summary>A C# <see cref="JsonRpcConnection"/> talking to <c>node tests/interop/node/server.js</c> over its stdin/stdout.</summary>
internal sealed class NodeServerSession : IAsyncDisposable
{
    private readonly Process _process;

    private NodeServerSession(Process process, StderrLog stderr, WireLog wire)
    {
        _process = process;
        Stderr = stderr;
        Wire = wire;
        var options = new JsonRpcConnectionOptions();
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, InteropJsonContext.Default);
        Connection = new JsonRpcConnection(new HeaderDelimitedTransport(process.StandardOutput.BaseStream, process.StandardInput.BaseStream), options, wire);
        Connection.Start();
    }

    public JsonRpcConnection Connection { get; }

    public StderrLog Stderr { get; }

    /// <summary>Every message sent and received, as logged by the engine at Trace level.</summary>
    public WireLog Wire { get; }

    public static NodeServerSession Start()
    {
        var peers = NodePeers.Require();
        var (process, stderr) = NodePeers.Start(peers.Node, peers.Directory, peers.ServerScript);
        return new NodeServerSession(process, stderr, new WireLog());
    }

    /// <summary>Closes the connection (the server sees end of input) and returns the server's exit code.</summary>
    public async Task<int> CloseAndWaitForExitAsync()
    {
        using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await Connection.CloseAsync(drain.Token);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>Records the engine's Trace-level message log: <c>--&gt; {json}</c> sent, <c>&lt;-- {json}</c> received.</summary>
internal sealed class WireLog : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<(bool Received, string Json)> _messages = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var text = formatter(state, exception);
        if (logLevel != LogLevel.Trace || text.Length < 4 || (!text.StartsWith("<-- ", StringComparison.Ordinal) && !text.StartsWith("--> ", StringComparison.Ordinal)))
        {
            return;
        }

        lock (_lock)
        {
            _messages.Add((text[0] == '<', text[4..]));
        }
    }

    /// <summary>The parsed messages received (or sent) so far.</summary>
    public List<JsonElement> Messages(bool received)
    {
        lock (_lock)
        {
            return _messages.Where(m => m.Received == received).Select(m => JsonDocument.Parse(m.Json).RootElement.Clone()).ToList();
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return string.Join(Environment.NewLine, _messages.Select(m => (m.Received ? "<-- " : "--> ") + (m.Json.Length > 300 ? m.Json[..300] + "..." : m.Json)));
        }
    }
}

public sealed record SubtractArgs(int Minuend, int Subtrahend);

public sealed record EchoArgs(JsonElement Value);

public sealed record EchoTextArgs(string Value);

public sealed record SlowArgs(int Milliseconds);

public sealed record ProgressArgs(int Count, ProgressToken ProgressToken);

public sealed record FailArgs(int Code, string Message);

public sealed record HelloArgs(string Name);

public sealed record RecordedNotification(string Method, JsonElement Params);

public sealed record BadSubtractArgs(string Minuend, string Subtrahend);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SubtractArgs))]
[JsonSerializable(typeof(BadSubtractArgs))]
[JsonSerializable(typeof(EchoArgs))]
[JsonSerializable(typeof(EchoTextArgs))]
[JsonSerializable(typeof(SlowArgs))]
[JsonSerializable(typeof(ProgressArgs))]
[JsonSerializable(typeof(FailArgs))]
[JsonSerializable(typeof(HelloArgs))]
[JsonSerializable(typeof(RecordedNotification[]))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class InteropJsonContext : JsonSerializerContext;
