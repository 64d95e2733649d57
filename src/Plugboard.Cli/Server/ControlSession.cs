using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Plugboard.Cli.Control;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Plugins;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Server;

/// <summary>
/// One client of the control endpoint: registers the control methods (mirroring <see cref="IPlugboardRuntime"/>) on its
/// connection and sends it the runtime events it subscribed to, in order, through a bounded queue so that a client that
/// stops reading cannot hold up the runtime (the oldest notifications are dropped and logged).
/// </summary>
internal sealed class ControlSession : IAsyncDisposable
{
    private const int NotificationQueueLength = 10_000;

    private readonly PlugboardRuntime _runtime;
    private readonly JsonRpcConnection _connection;
    private readonly Func<RuntimeInfoResult> _info;
    private readonly ILogger _logger;
    private readonly string _remote;
    private readonly Channel<Func<Task>> _outgoing;
    private readonly Task _pump;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IDisposable> _logFollows = new(StringComparer.Ordinal);
    private readonly HashSet<string> _logFollowRequests = new(StringComparer.Ordinal);
    private bool _stateHandlerAttached;
    private int _nextSubscription;
    private int _dropWarned;

    public ControlSession(PlugboardRuntime runtime, JsonRpcConnection connection, Func<RuntimeInfoResult> info, string remote, ILogger logger)
    {
        _runtime = runtime;
        _connection = connection;
        _info = info;
        _remote = remote;
        _logger = logger;
        _outgoing = Channel.CreateBounded<Func<Task>>(new BoundedChannelOptions(NotificationQueueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropOldest,
        }, _ => OnDropped());
        _pump = Task.Run(PumpAsync);
        Register();
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_stateHandlerAttached)
            {
                _runtime.PluginStateChanged -= OnPluginStateChanged;
                _stateHandlerAttached = false;
            }

            foreach (var follow in _logFollows.Values)
            {
                follow.Dispose();
            }

            _logFollows.Clear();
            _subscriptions.Clear();
        }

        _outgoing.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }

    private void Register()
    {
        var c = _connection;
        c.AddMethod<JsonElement, RuntimeInfoResult>(ControlMethods.RuntimeInfo, _ => _info());
        c.AddMethod<JsonElement, PluginStatus[]>(ControlMethods.PluginList, _ => [.. _runtime.GetPlugins()]);
        c.AddMethod<PluginIdParams, PluginStatus>(ControlMethods.PluginGet, p => _runtime.GetPlugin(Required(p?.PluginId, "pluginId")));
        c.AddMethod<PluginLogsParams, string[]>(ControlMethods.PluginLogs, p =>
        {
            var id = Required(p?.PluginId, "pluginId");
            if (p!.MaxLines < 0)
            {
                throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, "maxLines must not be negative.", ("parameter", "maxLines"));
            }

            if (p.Follow)
            {
                FollowLogs(id, explicitRequest: true);
            }

            return [.. _runtime.GetPluginLogs(id, p.MaxLines)];
        });
        c.AddMethod<PluginInstallParams, PluginStatus>(ControlMethods.PluginInstall, async (p, context) =>
        {
            var path = Required(p?.Path, "path");
            if (!Path.IsPathFullyQualified(path))
            {
                throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Give an absolute path on the runtime's machine (got '{path}').", ("parameter", "path"));
            }

            var progress = p!.ProgressToken is { } token ? new ForwardingProgress<PluginInstallProgress>(this, token) : null;
            var status = await Guard(() => _runtime.InstallAsync(path, progress, context.CancellationToken)).ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
            return status;
        });
        AddPluginAction(ControlMethods.PluginUninstall, (id, token) => _runtime.UninstallAsync(id, token));
        AddPluginAction(ControlMethods.PluginEnable, (id, token) => _runtime.EnableAsync(id, token));
        AddPluginAction(ControlMethods.PluginDisable, (id, token) => _runtime.DisableAsync(id, token));
        AddPluginAction(ControlMethods.PluginRestart, (id, token) => _runtime.RestartAsync(id, token));
        c.AddMethod<PluginWaitParams, PluginStatus>(ControlMethods.PluginWaitUntilRunning, async (p, context) =>
        {
            var id = Required(p?.PluginId, "pluginId");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, p!.TimeoutMs)));
            try
            {
                await _runtime.WaitUntilRunningAsync(id, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
            {
                var status = _runtime.GetPlugin(id);
                throw JsonRpcException.WithData(JsonRpcErrorCodes.Timeout, $"Plugin {id} is still {status.State} after {p.TimeoutMs} ms.{(status.LastError is null ? string.Empty : " Last error: " + status.LastError)} See `plugboard plugin logs {id}`.", ("plugin", id), ("state", status.State.ToString()));
            }

            return _runtime.GetPlugin(id);
        });
        c.AddMethod<JsonElement, ToolInfo[]>(ControlMethods.ToolList, _ => [.. _runtime.GetTools()]);
        c.AddMethod<ToolInvokeRequest, JsonElement>(ControlMethods.ToolInvoke, async (p, context) =>
        {
            var name = Required(p?.Name, "name");
            var arguments = p!.Arguments is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } given ? given : EmptyObject();
            var timeout = p.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(Math.Max(1, ms)) : (TimeSpan?)null;
            var progress = p.ProgressToken is { } token ? new ForwardingProgress<JsonElement>(this, token) : null;
            var result = await _runtime.InvokeToolAsync(name, arguments, progress, timeout, context.CancellationToken).ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
            return result;
        });
        c.AddMethod<CommandExecuteRequest, CommandExecuteResult>(ControlMethods.CommandExecute, async (p, context) =>
        {
            var command = Required(p?.Command, "command");
            var output = p!.ProgressToken is { } token ? new ForwardingProgress<string>(this, token) : null;
            var result = await _runtime.ExecuteCommandAsync(command, p.Arguments ?? [], output, context.CancellationToken).ConfigureAwait(false);
            await FlushAsync().ConfigureAwait(false);
            return result;
        });
        c.AddMethod<EventDispatchRequest, EventDispatchOutcome>(ControlMethods.EventDispatch, async (p, context) =>
        {
            var type = Required(p?.Type, "type");
            var pluginEvent = new PluginEvent(p!.Id ?? Guid.NewGuid().ToString("N"), type, DateTimeOffset.UtcNow, p.Data ?? EmptyObject(), p.BotId, p.Adapter, p.Raw);
            return await _runtime.DispatchEventAsync(pluginEvent, context.CancellationToken).ConfigureAwait(false);
        });
        c.AddMethod<SubscribeParams, SubscribeResult>(ControlMethods.RuntimeSubscribe, p => Subscribe(p ?? new SubscribeParams()));
        c.AddMethod<UnsubscribeParams, Empty>(ControlMethods.RuntimeUnsubscribe, p =>
        {
            Unsubscribe(Required(p?.Subscription, "subscription"));
            return Empty.Instance;
        });
        c.AddMethod<JsonElement, DebugSessionInfo[]>(ControlMethods.DebugList, _ => [.. _runtime.GetDebugSessions()]);
        Mcp.McpControlMethods.Register(c, _runtime);
    }

    private void AddPluginAction(string method, Func<string, CancellationToken, Task> action)
        => _connection.AddMethod<PluginIdParams, Empty>(method, async (p, context) =>
        {
            var id = Required(p?.PluginId, "pluginId");
            await Guard(async () =>
            {
                await action(id, context.CancellationToken).ConfigureAwait(false);
                return Empty.Instance;
            }).ConfigureAwait(false);
            return Empty.Instance;
        });

    private SubscribeResult Subscribe(SubscribeParams parameters)
    {
        var events = parameters.Events is { Count: > 0 } requested ? requested.Distinct(StringComparer.Ordinal).ToList() : [.. ControlMethods.SubscribableEvents];
        var unknown = events.Where(e => !ControlMethods.SubscribableEvents.Contains(e)).ToList();
        if (unknown.Count > 0)
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Unknown event(s) {string.Join(", ", unknown)}; subscribe to {string.Join(", ", ControlMethods.SubscribableEvents)}.", ("parameter", "events"));
        }

        var plugins = parameters.Plugins is { Count: > 0 } filter ? new HashSet<string>(filter, StringComparer.Ordinal) : null;
        foreach (var id in plugins ?? [])
        {
            _runtime.GetPlugin(id); // Unknown plugin → PluginNotFound.
        }

        string subscriptionId;
        lock (_lock)
        {
            subscriptionId = (++_nextSubscription).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _subscriptions[subscriptionId] = new Subscription([.. events], plugins);
            if (events.Contains(ControlMethods.PluginStateChanged) && !_stateHandlerAttached)
            {
                _runtime.PluginStateChanged += OnPluginStateChanged;
                _stateHandlerAttached = true;
            }
        }

        if (events.Contains(ControlMethods.PluginLog))
        {
            foreach (var id in plugins ?? (IEnumerable<string>)[.. _runtime.GetPlugins().Select(p => p.Id)])
            {
                FollowLogs(id, explicitRequest: false);
            }
        }

        return new SubscribeResult(subscriptionId, events);
    }

    private void Unsubscribe(string subscriptionId)
    {
        lock (_lock)
        {
            if (!_subscriptions.Remove(subscriptionId))
            {
                throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"No subscription '{subscriptionId}' on this connection.", ("parameter", "subscription"));
            }

            if (_stateHandlerAttached && !_subscriptions.Values.Any(s => s.Events.Contains(ControlMethods.PluginStateChanged)))
            {
                _runtime.PluginStateChanged -= OnPluginStateChanged;
                _stateHandlerAttached = false;
            }

            foreach (var id in _logFollows.Keys.ToList())
            {
                if (!_logFollowRequests.Contains(id) && !_subscriptions.Values.Any(s => s.Wants(ControlMethods.PluginLog, id)))
                {
                    _logFollows[id].Dispose();
                    _logFollows.Remove(id);
                }
            }
        }
    }

    private void FollowLogs(string pluginId, bool explicitRequest)
    {
        lock (_lock)
        {
            if (explicitRequest)
            {
                _logFollowRequests.Add(pluginId);
            }

            if (_logFollows.ContainsKey(pluginId))
            {
                return;
            }

            _logFollows[pluginId] = _runtime.FollowPluginLogs(pluginId, line => Enqueue(ControlMethods.PluginLog, new PluginLogNotification(pluginId, line, DateTimeOffset.UtcNow)));
        }
    }

    private void OnPluginStateChanged(object? sender, PluginStateChangedEventArgs e)
    {
        bool wanted;
        lock (_lock)
        {
            wanted = _subscriptions.Values.Any(s => s.Wants(ControlMethods.PluginStateChanged, e.PluginId));
        }

        if (wanted)
        {
            Enqueue(ControlMethods.PluginStateChanged, new PluginStateChangedNotification(e.PluginId, e.Previous, e.Current, e.Reason, e.Timestamp));
        }
    }

    private void Enqueue<T>(string method, T payload)
        => _outgoing.Writer.TryWrite(async () => await _connection.NotifyAsync(method, payload).ConfigureAwait(false));

    private void EnqueueProgress<T>(ProgressToken token, T value)
        => _outgoing.Writer.TryWrite(async () => await _connection.NotifyProgressAsync(token, value).ConfigureAwait(false));

    /// <summary>Waits until everything queued so far was sent (progress before the response it belongs to).</summary>
    private Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_outgoing.Writer.TryWrite(() =>
        {
            done.TrySetResult();
            return Task.CompletedTask;
        }))
        {
            return Task.CompletedTask;
        }

        return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task PumpAsync()
    {
        await foreach (var send in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await send().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonRpcConnectionLostException or JsonRpcException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
            {
                // The client went away; the endpoint disposes the session.
            }
        }
    }

    private void OnDropped()
    {
        if (Interlocked.Exchange(ref _dropWarned, 1) == 0)
        {
            ServerLog.NotificationsDropped(_logger, _remote);
        }
    }

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ManifestValidationException ex)
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"The plugin's manifest is invalid: {string.Join("; ", ex.Errors.Select(e => e.ToString()))}. Fix plugin.json and try again.", ("manifest", ex.SourceName));
        }
        catch (FileNotFoundException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotFound, $"{ex.Message} A plugin folder needs a plugin.json; a package is a .zip made by `plugboard plugin pack`.", ("path", ex.FileName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw JsonRpcException.WithData(JsonRpcErrorCodes.InvocationError, ex.Message, ("type", ex.GetType().Name));
        }
    }

    private static string Required(string? value, string name)
        => string.IsNullOrEmpty(value)
            ? throw JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"The parameter '{name}' is required.", ("parameter", name))
            : value;

    private static JsonElement EmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private sealed record Subscription(HashSet<string> Events, HashSet<string>? Plugins)
    {
        public bool Wants(string method, string pluginId) => Events.Contains(method) && (Plugins is null || Plugins.Contains(pluginId));
    }

    /// <summary>Forwards progress values to the client as <c>$/progress</c>, in order.</summary>
    private sealed class ForwardingProgress<T>(ControlSession session, ProgressToken token) : IProgress<T>
    {
        public void Report(T value) => session.EnqueueProgress(token, value);
    }
}
