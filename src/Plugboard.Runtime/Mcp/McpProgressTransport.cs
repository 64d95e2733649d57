// Sampling and logging are deprecated from MCP 2026-07-28 (SEP-2577, MCP9005) but part of the 2025 revisions that
// servers and clients still speak; Plugboard relays them for those peers.
#pragma warning disable MCP9005

using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Plugboard.Runtime.Mcp;

/// <summary>
/// Wraps the official client's transport to deliver <c>notifications/progress</c> (and log messages) in wire order, before
/// the response that follows them. The SDK dispatches incoming messages concurrently, so a tool's last progress notification can be
/// handled after its response and dropped; here each progress is reported synchronously as it is read, and only then is
/// the message (and everything after it) passed on to the client.
/// </summary>
internal sealed class McpProgressTransport(IClientTransport inner) : IClientTransport
{
    private readonly ConcurrentDictionary<string, IProgress<JsonElement>> _listeners = new(StringComparer.Ordinal);
    private long _nextToken;

    public string Name => inner.Name;

    /// <summary>Receives the parameters of each <c>notifications/message</c> (a server's log message), in wire order.</summary>
    public Action<JsonNode?>? LogMessage { get; set; }

    /// <summary>Registers a progress listener under a fresh token; dispose the result when the request completed.</summary>
    public (string Token, IDisposable Registration) Listen(IProgress<JsonElement> progress)
    {
        var token = "plugboard-" + Interlocked.Increment(ref _nextToken).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _listeners[token] = progress;
        return (token, new Registration(() => _listeners.TryRemove(token, out _)));
    }

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
        => new Session(await inner.ConnectAsync(cancellationToken).ConfigureAwait(false), this);

    private void Dispatch(JsonRpcMessage message)
    {
        if (message is JsonRpcNotification { Method: NotificationMethods.LoggingMessageNotification } log && LogMessage is { } onLog)
        {
            try
            {
                onLog(log.Params);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A failing listener must not break the connection.
            }

            return;
        }

        if (message is not JsonRpcNotification { Method: NotificationMethods.ProgressNotification, Params: JsonObject parameters } || _listeners.IsEmpty)
        {
            return;
        }

        var token = parameters["progressToken"]?.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? parameters["progressToken"]!.ToString() : null;
        if (token is null || !_listeners.TryGetValue(token, out var listener))
        {
            return;
        }

        var value = new ProgressNotificationValue
        {
            Progress = parameters["progress"]?.GetValueKind() == JsonValueKind.Number ? parameters["progress"]!.GetValue<float>() : 0,
            Total = parameters["total"]?.GetValueKind() == JsonValueKind.Number ? parameters["total"]!.GetValue<float>() : null,
            Message = parameters["message"]?.GetValueKind() == JsonValueKind.String ? parameters["message"]!.GetValue<string>() : null,
        };
        try
        {
            listener.Report(McpJson.ProgressToJson(value));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failing listener must not break the connection.
        }
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }

    /// <summary>One connected session: reads the inner transport in order, reports progress, then passes messages on.</summary>
    private sealed class Session : ITransport
    {
        private readonly ITransport _inner;
        private readonly McpProgressTransport _owner;
        private readonly Channel<JsonRpcMessage> _messages = Channel.CreateUnbounded<JsonRpcMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Task _pump;

        public Session(ITransport inner, McpProgressTransport owner)
        {
            _inner = inner;
            _owner = owner;
            _pump = Task.Run(PumpAsync);
        }

        public string? SessionId => _inner.SessionId;

        public ChannelReader<JsonRpcMessage> MessageReader => _messages.Reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => _inner.SendMessageAsync(message, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
        }

        private async Task PumpAsync()
        {
            try
            {
                await foreach (var message in _inner.MessageReader.ReadAllAsync().ConfigureAwait(false))
                {
                    _owner.Dispatch(message);
                    await _messages.Writer.WriteAsync(message).ConfigureAwait(false);
                }

                _messages.Writer.TryComplete();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _messages.Writer.TryComplete(ex);
            }
        }
    }
}
