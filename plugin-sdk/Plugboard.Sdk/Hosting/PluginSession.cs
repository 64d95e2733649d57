using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

namespace Plugboard.Sdk.Hosting;

/// <summary>
/// One run of a plugin over one connection: the handshake, dispatch of listeners, tools and commands, and the way out
/// (shutdown/exit, end of input, a signal, the runtime's process gone).
/// </summary>
internal sealed class PluginSession
{
    private const int StateNew = 0;
    private const int StateInitializing = 1;
    private const int StateInitialized = 2;

    private static readonly PeerInfo SdkPeer = new("Plugboard.Sdk", typeof(PluginSession).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    private readonly PluginApp _app;
    private readonly JsonRpcConnection _connection;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ListenerRegistration> _listeners;
    private readonly Dictionary<string, ToolRegistration> _tools;
    private readonly Dictionary<string, CommandRegistration> _commands;
    private readonly WorkTracker _work = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortWork = new();
    private readonly TaskCompletionSource<StopReason> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public PluginSession(PluginApp app, JsonRpcTransport transport, ILoggerFactory loggers)
    {
        _app = app;
        _logger = app.Logger;
        _listeners = app.Listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
        _tools = app.Tools.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _commands = new Dictionary<string, CommandRegistration>(StringComparer.Ordinal);
        foreach (var command in app.Commands)
        {
            _commands[command.Name] = command;
            foreach (var alias in command.Aliases)
            {
                _commands[alias] = command;
            }
        }

        _connection = new JsonRpcConnection(transport, new JsonRpcConnectionOptions { MaxMessageSize = app.Options.MaxMessageSize }, loggers.CreateLogger("Plugboard.Sdk.Connection"));
        _connection.AddMethod<InitializeParams, InitializeResult>(PluginMethods.Initialize, OnInitializeAsync);
        _connection.AddNotification<Empty>(PluginMethods.Initialized, OnInitializedAsync);
        _connection.AddMethod<Empty, Empty>(PluginMethods.Shutdown, OnShutdownAsync);
        _connection.AddNotification<Empty>(PluginMethods.Exit, (_, _) =>
        {
            RequestStop(StopReason.Exit);
            return ValueTask.CompletedTask;
        });
        _connection.AddMethod<Empty, Empty>(PluginMethods.Ping, static _ => Empty.Instance);
        _connection.AddMethod<EventDispatchParams, EventDispatchResult>(PluginMethods.EventDispatch, OnEventDispatchAsync);
        _connection.AddMethod<ToolInvokeParams, JsonElement>(PluginMethods.ToolInvoke, OnToolInvokeAsync);
        _connection.AddMethod<CommandExecuteParams, CommandExecuteResult>(PluginMethods.CommandExecute, OnCommandExecuteAsync);
        app.ServiceProvider.GetService<Adapters.AdapterHost>()?.Attach(_connection);
    }

    private enum StopReason
    {
        Exit,
        ConnectionEnded,
        Signal,
        Cancelled,
        RuntimeProcessGone,
    }

    /// <summary>Called to force the process out shortly after the runtime is known to be gone.</summary>
    public Action? ArmExitBackstop { get; set; }

    /// <summary>Runs until the plugin should exit; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        _connection.Start();
        _ = _connection.Completion.ContinueWith(_ => RequestStop(StopReason.ConnectionEnded), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        using var registration = cancellationToken.Register(() => RequestStop(StopReason.Cancelled));
        var reason = await _stop.Task.ConfigureAwait(false);
        var exitCode = 0;
        switch (reason)
        {
            case StopReason.Signal:
            case StopReason.Cancelled:
                await DrainAsync(reason == StopReason.Signal ? "signal" : "cancellation").ConfigureAwait(false);
                break;
            case StopReason.ConnectionEnded:
                var end = await _connection.Completion.ConfigureAwait(false);
                if (end.Reason is DisconnectReason.RemoteClosed or DisconnectReason.LocalDispose)
                {
                    _logger.RuntimeClosedConnection(end.Description);
                    ArmExitBackstop?.Invoke();
                }
                else
                {
                    _logger.ConnectionFailed(end.Reason.ToString(), end.Description);
                    exitCode = 1;
                }

                break;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _abortWork.CancelAsync().ConfigureAwait(false);
        await CloseConnectionAsync().ConfigureAwait(false);
        return exitCode;
    }

    public void OnSignal(string signal)
    {
        _logger.SignalReceived(signal);
        RequestStop(StopReason.Signal);
    }

    public void OnRuntimeProcessGone(int pid)
    {
        _logger.RuntimeProcessGone(pid);
        RequestStop(StopReason.RuntimeProcessGone);
    }

    private void RequestStop(StopReason reason) => _stop.TrySetResult(reason);

    private ValueTask<InitializeResult> OnInitializeAsync(InitializeParams parameters, JsonRpcRequestContext context)
    {
        if (Interlocked.CompareExchange(ref _state, StateInitializing, StateNew) != StateNew)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidRequest, "'initialize' was already received; the handshake happens once per connection.");
        }

        try
        {
            var offered = parameters.ProtocolVersions ?? [];
            var ours = _app.Options.ProtocolVersions;
            var chosen = ours.FirstOrDefault(offered.Contains);
            if (chosen is null)
            {
                _logger.ProtocolVersionMismatch(string.Join(", ", offered), string.Join(", ", ours));
                throw new JsonRpcException(
                    PlugboardErrorCodes.ProtocolVersionMismatch,
                    $"Protocol version mismatch: the runtime speaks [{string.Join(", ", offered)}] but this plugin ({SdkPeer.Name} {SdkPeer.Version}) speaks [{string.Join(", ", ours)}]. Update the plugin's Plugboard.Sdk or the runtime so they share a version.",
                    MismatchData(offered, ours));
            }

            var pluginId = _app.PluginId ?? parameters.PluginId;
            if (_app.PluginId is { } own && parameters.PluginId is { Length: > 0 } known && own != known)
            {
                _logger.PluginIdDiffersFromRuntime(known, own);
            }

            _app.RuntimeClient.Attach(context.Connection, pluginId, chosen, parameters.DataDirectory);
            Volatile.Write(ref _state, StateInitialized);
            _logger.HandshakeCompleted(chosen, parameters.Runtime?.Name ?? "(unnamed runtime)", parameters.Runtime?.Version ?? "?", pluginId);
            return ValueTask.FromResult(new InitializeResult(chosen, pluginId, SdkPeer, _app.Capabilities));
        }
        catch
        {
            // A failed handshake may be retried on the same connection (e.g. by a runtime offering other versions).
            Volatile.Write(ref _state, StateNew);
            throw;
        }
    }

    private ValueTask OnInitializedAsync(Empty parameters, JsonRpcRequestContext context)
    {
        foreach (var callback in _app.InitializedCallbacks)
        {
            _ = RunInitializedCallbackAsync(callback);
        }

        return ValueTask.CompletedTask;
    }

    private async Task RunInitializedCallbackAsync(Func<IPluginRuntime, CancellationToken, ValueTask> callback)
    {
        try
        {
            await callback(_app.RuntimeClient, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _logger.InitializedCallbackFailed(ex);
        }
    }

    private async ValueTask<Empty> OnShutdownAsync(Empty parameters, JsonRpcRequestContext context)
    {
        await DrainAsync("shutdown request").ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        return Empty.Instance;
    }

    private ValueTask<EventDispatchResult> OnEventDispatchAsync(EventDispatchParams parameters, JsonRpcRequestContext context)
    {
        if (parameters.Event is null || parameters.Listener is null)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "event/dispatch needs {\"listener\": name, \"event\": {...}}.");
        }

        if (!_listeners.TryGetValue(parameters.Listener, out var listener))
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams,
                $"This plugin has no listener named '{parameters.Listener}' (it has: {string.Join(", ", _listeners.Keys)}).",
                ("listener", parameters.Listener));
        }

        return RunWorkAsync(PluginMethods.EventDispatch, "listener", listener.Name, context, async (services, token) =>
        {
            var eventContext = new EventContext(parameters.Event, listener.Name, services, _app.RuntimeClient, _app.Options.SerializerOptions, token);
            await listener.Handler(eventContext).ConfigureAwait(false);
            return new EventDispatchResult(eventContext.IsPropagationStopped, eventContext.Result);
        });
    }

    private ValueTask<JsonElement> OnToolInvokeAsync(ToolInvokeParams parameters, JsonRpcRequestContext context)
    {
        if (parameters.Tool is null || !_tools.TryGetValue(parameters.Tool, out var tool))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolNotFound,
                $"This plugin has no tool named '{parameters.Tool}' (it has: {string.Join(", ", _tools.Keys)}).",
                ("tool", parameters.Tool));
        }

        Func<JsonElement, ValueTask>? progress = parameters.ProgressToken is { } progressToken
            ? value => context.Connection.NotifyProgressAsync(progressToken, value)
            : null;
        return RunWorkAsync(PluginMethods.ToolInvoke, "tool", tool.Name, context, (services, token) =>
            tool.Invoke(parameters.Arguments, new ToolContext(tool.Name, services, _app.RuntimeClient, _app.Options.SerializerOptions, progress, token)));
    }

    private ValueTask<CommandExecuteResult> OnCommandExecuteAsync(CommandExecuteParams parameters, JsonRpcRequestContext context)
    {
        if (parameters.Command is null || !_commands.TryGetValue(parameters.Command, out var command))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.CommandNotFound,
                $"This plugin has no command named '{parameters.Command}' (it has: {string.Join(", ", _app.Commands.Select(c => c.Name))}).",
                ("command", parameters.Command));
        }

        Func<string, ValueTask>? stream = parameters.ProgressToken is { } progressToken
            ? text => context.Connection.NotifyProgressAsync(progressToken, text)
            : null;
        return RunWorkAsync(PluginMethods.CommandExecute, "command", command.Name, context, async (services, token) =>
        {
            var commandContext = new CommandContext(parameters.Command, parameters.Arguments ?? [], services, _app.RuntimeClient, stream, token);
            var exitCode = await command.Handler(commandContext).ConfigureAwait(false);
            return new CommandExecuteResult(exitCode, commandContext.CollectedOutput());
        });
    }

    /// <summary>Runs one unit of work: handshake and shutdown gates, a DI scope, cancellation, and errors with codes.</summary>
    private async ValueTask<T> RunWorkAsync<T>(string method, string kind, string name, JsonRpcRequestContext context, Func<IServiceProvider, CancellationToken, ValueTask<T>> body)
    {
        if (Volatile.Read(ref _state) != StateInitialized)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidRequest, $"'{method}' arrived before a successful 'initialize'; the runtime must complete the handshake first.");
        }

        if (!_work.TryEnter())
        {
            throw new JsonRpcException(JsonRpcErrorCodes.ShuttingDown, $"The plugin is shutting down; the {kind} '{name}' was not run.");
        }

        try
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _abortWork.Token);
            var scope = _app.ServiceProvider.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                try
                {
                    return await body(scope.ServiceProvider, cancellation.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
                {
                    throw new JsonRpcException(JsonRpcErrorCodes.ShuttingDown, $"The {kind} '{name}' was cancelled because the plugin is shutting down.");
                }
                catch (Exception ex) when (ex is not (JsonRpcException or OperationCanceledException))
                {
                    _logger.HandlerFailed(kind, name, ex);
                    throw JsonRpcException.WithData(
                        JsonRpcErrorCodes.InvocationError,
                        $"The {kind} '{name}' failed: {ex.GetType().Name}: {ex.Message}",
                        ("kind", kind),
                        ("name", name),
                        ("type", ex.GetType().FullName));
                }
            }
        }
        finally
        {
            _work.Exit();
        }
    }

    /// <summary>Stops accepting work and waits for running handlers up to the shutdown timeout, then cancels them.</summary>
    private async Task DrainAsync(string reason)
    {
        var idle = _work.StopAcceptingAsync();
        if (idle.IsCompleted)
        {
            return;
        }

        var timeout = _app.Options.ShutdownTimeout;
        _logger.ShuttingDown(reason, timeout, _work.Running);
        if (await Task.WhenAny(idle, Task.Delay(timeout)).ConfigureAwait(false) != idle)
        {
            _logger.ShutdownDrainTimedOut(_work.Running, timeout);
            await _abortWork.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(idle, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the output so the runtime sees end of stream; bounded, because a blocked stdin read may not yield.</summary>
    private async Task CloseConnectionAsync()
    {
        using var drain = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var close = _connection.CloseAsync(drain.Token);
        await Task.WhenAny(close, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
    }

    private static JsonElement MismatchData(IReadOnlyList<string> runtimeVersions, IList<string> pluginVersions)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("runtimeVersions");
            foreach (var version in runtimeVersions)
            {
                writer.WriteStringValue(version);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("pluginVersions");
            foreach (var version in pluginVersions)
            {
                writer.WriteStringValue(version);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
