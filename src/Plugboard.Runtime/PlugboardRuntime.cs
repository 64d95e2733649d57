using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Plugins;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>The Plugboard runtime: discovers plugins, supervises their processes, routes events, tools and commands.</summary>
public sealed partial class PlugboardRuntime : IPlugboardRuntime, IAsyncDisposable
{
    private static readonly StorageScope StateScope = StorageScope.Of("runtime.plugins");
    private readonly PlugboardOptions _options;
    private readonly IPlugboardStorage _storage;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, PluginEntry> _plugins = new(StringComparer.Ordinal);
    private readonly ToolRegistry _tools;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly JsonRpcConnectionOptions _rpcOptions;
    private readonly PluginStore _store;
    private bool _started;

    /// <summary>Creates the runtime (hosts normally get it from DI via <c>AddPlugboard</c>).</summary>
    public PlugboardRuntime(IOptions<PlugboardOptions> options, IPlugboardStorage storage, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(PlugboardOptions), typeof(PlugboardOptions), errors);
        }

        _storage = storage;
        _loggerFactory = loggerFactory;
        var storeOptions = new PluginStoreOptions { DataDirectory = _options.DataDirectory };
        foreach (var directory in _options.PluginDirectories)
        {
            storeOptions.PluginDirectories.Add(directory);
        }

        _store = new PluginStore(Microsoft.Extensions.Options.Options.Create(storeOptions), loggerFactory.CreateLogger<PluginStore>());
        _logger = loggerFactory.CreateLogger("Plugboard.Runtime");
        _tools = new ToolRegistry(_logger);
        _tools.Changed += () => ToolsChanged?.Invoke(this, EventArgs.Empty);
        _rpcOptions = new JsonRpcConnectionOptions
        {
            MaxMessageSize = _options.MaxMessageSize,
            MaxConcurrentRequests = _options.MaxConcurrentRequests,
        };
    }

    /// <inheritdoc/>
    public event EventHandler<PluginStateChangedEventArgs>? PluginStateChanged;

    /// <inheritdoc/>
    public event EventHandler? ToolsChanged;

    /// <summary>The options the runtime runs with.</summary>
    public PlugboardOptions Options => _options;

    /// <summary>Discovers plugins and starts the enabled ones. Idempotent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_started)
            {
                return;
            }

            Directory.CreateDirectory(_options.DataDirectory);
            var discovery = await _store.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            foreach (var issue in discovery.Issues)
            {
                RuntimeLog.PluginSkipped(_logger, issue.Location, issue.Errors.Count == 0 ? issue.Message : $"{issue.Message}: {string.Join("; ", issue.Errors.Select(e => e.ToString()))}");
            }

            foreach (var plugin in discovery.Plugins)
            {
                await AddPluginAsync(plugin.Manifest, plugin.Directory, plugin.Enabled, cancellationToken).ConfigureAwait(false);
            }

            await LoadBotsAsync(cancellationToken).ConfigureAwait(false);
            await StartBoxAsync(cancellationToken).ConfigureAwait(false);
            await StartMcpAsync(cancellationToken).ConfigureAwait(false);
            _started = true;
            RuntimeLog.RuntimeStarted(_logger, _plugins.Count, _options.DataDirectory);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops every plugin gracefully.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(_plugins.Values.Select(p => p.Supervisor.StopAsync()).Append(StopMcpAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
        await StopBoxAsync().ConfigureAwait(false);
        _started = false;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <inheritdoc/>
    public IReadOnlyList<PluginStatus> GetPlugins() => [.. _plugins.Values.OrderBy(p => p.Manifest.Id, StringComparer.Ordinal).Select(p => p.ToStatus())];

    /// <inheritdoc/>
    public PluginStatus GetPlugin(string pluginId) => Find(pluginId).ToStatus();

    /// <inheritdoc/>
    public IReadOnlyList<string> GetPluginLogs(string pluginId, int maxLines = 200) => Find(pluginId).Supervisor.Stderr.Tail(maxLines);

    /// <inheritdoc/>
    public async Task<PluginStatus> InstallAsync(string path, CancellationToken cancellationToken = default)
        => await InstallAsync(path, null, cancellationToken).ConfigureAwait(false);

    /// <summary>Installs a plugin from a folder or a .zip package into the store, reporting progress, and starts it.</summary>
    public async Task<PluginStatus> InstallAsync(string path, IProgress<PluginInstallProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PluginInstallResult result;
        try
        {
            result = await _store.InstallAsync(path, new PluginInstallOptions { Progress = progress }, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginInstallException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginInstallFailed, ex.Message, ("kind", ex.Kind.ToString()), ("entry", ex.EntryName));
        }

        var id = result.Manifest.Id;
        if (_plugins.TryRemove(id, out var previous))
        {
            await previous.Supervisor.StopAsync().ConfigureAwait(false);
            _tools.RemovePlugin(id);
        }

        var entry = await AddPluginAsync(result.Manifest, result.Plugin.Directory, result.Plugin.Enabled, cancellationToken).ConfigureAwait(false);
        return entry.ToStatus();
    }

    /// <inheritdoc/>
    public async Task UninstallAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var entry = Find(pluginId);
        if (await _store.GetInstalledAsync(pluginId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginInstallFailed, $"Plugin {pluginId} runs from the plugin folder {entry.Directory}, not from the store; remove that folder (or disable the plugin) instead.", ("plugin", pluginId));
        }

        await entry.Supervisor.StopAsync().ConfigureAwait(false);
        _plugins.TryRemove(pluginId, out _);
        _tools.RemovePlugin(pluginId);
        await _store.UninstallAsync(pluginId, deleteData: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task EnableAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var entry = Find(pluginId);
        await _storage.DeleteAsync(StateScope, DisabledKey(pluginId), cancellationToken).ConfigureAwait(false);
        await SetStoreEnabledAsync(pluginId, true, cancellationToken).ConfigureAwait(false);
        entry.Enabled = true;
        entry.Supervisor.Start();
    }

    /// <inheritdoc/>
    public async Task DisableAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var entry = Find(pluginId);
        await _storage.SetAsync(StateScope, DisabledKey(pluginId), "true"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await SetStoreEnabledAsync(pluginId, false, cancellationToken).ConfigureAwait(false);
        entry.Enabled = false;
        await entry.Supervisor.StopAsync(PluginState.Disabled).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RestartAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var entry = Find(pluginId);
        if (!entry.Enabled)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"Plugin {pluginId} is disabled; enable it instead of restarting it.", ("plugin", pluginId));
        }

        await entry.Supervisor.RestartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task WaitUntilRunningAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        var entry = Find(pluginId);
        if (entry.Supervisor.State == PluginState.Running)
        {
            return;
        }

        if (entry.Supervisor.State is PluginState.Failed or PluginState.Disabled)
        {
            throw NotRunning(entry);
        }

        try
        {
            await entry.Supervisor.WaitUntilRunningAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            throw NotRunning(entry);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<ToolInfo> GetTools() => _tools.List();

    /// <summary>Replaces the tools a non-plugin source (an MCP server, the Box) offers; an empty list removes them.</summary>
    internal void SetToolSource(string source, IEnumerable<NativeTool> tools) => _tools.SetSourceTools(source, tools);

    /// <inheritdoc/>
    public async Task<JsonElement> InvokeToolAsync(string name, JsonElement arguments, IProgress<JsonElement>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var tool = _tools.Resolve(name);
        ToolRegistry.ValidateArguments(tool, arguments);
        var limit = timeout ?? _options.ToolTimeout;
        if (tool.Handler is { } handler)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            try
            {
                return await handler(arguments, progress, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw JsonRpcException.WithData(PlugboardErrorCodes.ToolTimeout, $"Tool '{tool.QualifiedName}' did not finish within {limit.TotalSeconds:0.#} s; it was cancelled.", ("tool", tool.QualifiedName));
            }
        }

        var connection = RunningConnection(Find(tool.PluginId));
        using var registration = progress is null ? null : connection.RegisterProgress(progress);
        var parameters = new ToolInvokeParams(tool.Descriptor.Name, arguments, registration?.Token);
        try
        {
            return await connection.InvokeAsync<JsonElement>(PluginMethods.ToolInvoke, parameters, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolTimeout, $"Tool '{tool.QualifiedName}' did not finish within {limit.TotalSeconds:0.#} s; it was cancelled. Raise the timeout if the tool is expected to take longer.", ("tool", tool.QualifiedName));
        }
        catch (JsonRpcConnectionLostException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"Plugin {tool.PluginId} went away while running '{tool.QualifiedName}' ({ex.Reason}).", ("plugin", tool.PluginId));
        }
    }

    /// <inheritdoc/>
    public async Task<CommandExecuteResult> ExecuteCommandAsync(string command, IReadOnlyList<string> arguments, IProgress<string>? output = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var owner = _plugins.Values
            .Where(p => p.Supervisor.State == PluginState.Running)
            .OrderBy(p => p.Manifest.Id, StringComparer.Ordinal)
            .FirstOrDefault(p => (p.Supervisor.Handshake?.Capabilities.Commands ?? []).Any(c => c.Name == command || (c.Aliases ?? []).Contains(command)))
            ?? throw JsonRpcException.WithData(PlugboardErrorCodes.CommandNotFound, $"No running plugin serves the command '{command}'.", ("command", command));
        var connection = RunningConnection(owner);
        using var registration = output is null ? null : connection.RegisterProgress(output);
        return await connection.InvokeAsync<CommandExecuteResult>(PluginMethods.CommandExecute, new CommandExecuteParams(command, arguments, registration?.Token), _options.ToolTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<EventDispatchOutcome> DispatchEventAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default)
        => DispatchCoreAsync(pluginEvent, null, cancellationToken);

    private async Task<EventDispatchOutcome> DispatchCoreAsync(PluginEvent pluginEvent, Func<string, string, bool>? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pluginEvent);
        var listeners = _plugins.Values
            .Where(p => p.Supervisor.State == PluginState.Running && p.Supervisor.Handshake is not null)
            .SelectMany(p => (p.Supervisor.Handshake!.Capabilities.Listeners ?? []).Select((l, index) => (Plugin: p, Listener: l, Index: index)))
            .Where(x => x.Listener.Events.Any(pattern => EventPattern.Matches(pattern, pluginEvent.Type)))
            .Where(x => filter is null || filter(x.Plugin.Manifest.Id, x.Listener.Name))
            .OrderByDescending(x => x.Listener.Priority)
            .ThenBy(x => x.Plugin.Manifest.Id, StringComparer.Ordinal)
            .ThenBy(x => x.Index)
            .ToList();

        var outcomes = new List<ListenerOutcome>(listeners.Count);
        foreach (var (plugin, listener, _) in listeners)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = plugin.Manifest.Id;
            var connection = plugin.Supervisor.Connection;
            if (connection is null)
            {
                outcomes.Add(new ListenerOutcome(id, listener.Name, ListenerStatus.Failed, Error: "the plugin stopped running"));
                continue;
            }

            try
            {
                var result = await connection.InvokeAsync<EventDispatchResult>(PluginMethods.EventDispatch, new EventDispatchParams(listener.Name, pluginEvent), _options.ListenerTimeout, cancellationToken).ConfigureAwait(false);
                outcomes.Add(new ListenerOutcome(id, listener.Name, ListenerStatus.Handled, result.Result));
                if (result.StopPropagation)
                {
                    return new EventDispatchOutcome(pluginEvent.Id, outcomes, $"{id}/{listener.Name}");
                }
            }
            catch (TimeoutException)
            {
                RuntimeLog.ListenerTimedOut(_logger, id, listener.Name, pluginEvent.Type, (long)_options.ListenerTimeout.TotalMilliseconds);
                outcomes.Add(new ListenerOutcome(id, listener.Name, ListenerStatus.TimedOut, Error: $"no answer within {_options.ListenerTimeout.TotalSeconds:0.#} s"));
            }
            catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException)
            {
                RuntimeLog.ListenerFailed(_logger, id, listener.Name, pluginEvent.Type, ex.Message);
                outcomes.Add(new ListenerOutcome(id, listener.Name, ListenerStatus.Failed, Error: ex.Message));
            }
        }

        return new EventDispatchOutcome(pluginEvent.Id, outcomes, null);
    }

    private async Task<PluginEntry> AddPluginAsync(PluginManifest manifest, string directory, bool enabledInStore, CancellationToken cancellationToken)
    {
        var dataDirectory = _store.GetDataDirectory(manifest.Id);
        Directory.CreateDirectory(dataDirectory);
        var configError = default(string);
        var config = BuildConfig(manifest, ref configError);
        var spec = new PluginLaunchSpec(
            manifest.Id,
            manifest.Version.ToString(),
            manifest.Execution.GetProgram(directory),
            manifest.Execution.GetArguments(directory),
            manifest.Execution.GetWorkingDirectory(directory),
            manifest.Execution.Env,
            config,
            JsonDocument.Parse(ManifestLoader.Serialize(manifest)).RootElement.Clone(),
            dataDirectory);
        var logger = _loggerFactory.CreateLogger($"Plugboard.Plugin.{manifest.Id}");
        var supervisor = new PluginSupervisor(spec, _options.Supervisor, _rpcOptions, RegisterRuntimeApi, logger);
        var entry = new PluginEntry(manifest, directory, supervisor)
        {
            Enabled = enabledInStore && await _storage.GetAsync(StateScope, DisabledKey(manifest.Id), cancellationToken).ConfigureAwait(false) is null,
        };
        _plugins[manifest.Id] = entry;
        _tools.SetPluginTools(manifest.Id, ManifestTools(manifest));
        supervisor.StateChanged += OnStateChanged;
        if (configError is not null)
        {
            supervisor.MarkFailed(configError);
        }
        else if (!entry.Enabled)
        {
            supervisor.MarkDisabled();
        }
        else if (_options.StartPlugins)
        {
            supervisor.Start();
        }

        return entry;
    }

    private JsonElement BuildConfig(PluginManifest manifest, ref string? error)
    {
        _options.PluginConfig.TryGetValue(manifest.Id, out var supplied);
        var values = supplied.ValueKind == JsonValueKind.Object ? JsonNode.Parse(supplied.GetRawText()) : new JsonObject();
        var result = ConfigValidator.Validate(manifest.Config, values);
        if (!result.IsValid)
        {
            error = $"Invalid configuration for plugin {manifest.Id}: {string.Join("; ", result.Errors.Select(e => e.ToString()))}. Fix PluginConfig[{manifest.Id}] in the runtime configuration.";
        }

        return JsonDocument.Parse(result.Values.ToJsonString()).RootElement.Clone();
    }

    private static IEnumerable<ToolDescriptor> ManifestTools(PluginManifest manifest)
        => manifest.Components.Tools.Select(t => new ToolDescriptor(t.Name, t.Description, t.Parameters, t.Result));

    private void OnStateChanged(object? sender, PluginStateChangedEventArgs e)
    {
        if (e.Current == PluginState.Running && sender is PluginSupervisor supervisor && _plugins.TryGetValue(e.PluginId, out var entry))
        {
            // The manifest declares tools; a running plugin may add more in its handshake (with a warning).
            var declared = ManifestTools(entry.Manifest).ToList();
            foreach (var tool in supervisor.Handshake?.Capabilities.Tools ?? [])
            {
                if (declared.All(d => d.Name != tool.Name))
                {
                    RuntimeLog.UndeclaredTool(_logger, e.PluginId, tool.Name);
                    declared.Add(tool);
                }
            }

            _tools.SetPluginTools(e.PluginId, declared);
        }

        OnAdapterPluginStateChanged(e);
        PluginStateChanged?.Invoke(this, e);
    }

    private PluginEntry Find(string pluginId)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        return _plugins.TryGetValue(pluginId, out var entry)
            ? entry
            : throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotFound, $"No plugin with id '{pluginId}'. List plugins with `plugboard plugin list`.", ("plugin", pluginId));
    }

    private static JsonRpcConnection RunningConnection(PluginEntry entry)
        => entry.Supervisor.Connection ?? throw NotRunning(entry);

    private static JsonRpcException NotRunning(PluginEntry entry)
    {
        var supervisor = entry.Supervisor;
        var detail = supervisor.LastError is null ? string.Empty : $" Last error: {supervisor.LastError}";
        return JsonRpcException.WithData(PlugboardErrorCodes.PluginNotRunning, $"Plugin {entry.Manifest.Id} is {supervisor.State}, not Running.{detail}", ("plugin", entry.Manifest.Id), ("state", supervisor.State.ToString()));
    }

    private static string DisabledKey(string pluginId) => pluginId + ".disabled";

    private async Task SetStoreEnabledAsync(string pluginId, bool enabled, CancellationToken cancellationToken)
    {
        if (await _store.GetInstalledAsync(pluginId, cancellationToken).ConfigureAwait(false) is not null)
        {
            await _store.SetEnabledAsync(pluginId, enabled, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A known plugin.</summary>
    private sealed class PluginEntry(PluginManifest manifest, string directory, PluginSupervisor supervisor)
    {
        public PluginManifest Manifest { get; } = manifest;

        public string Directory { get; } = directory;

        public PluginSupervisor Supervisor { get; } = supervisor;

        public bool Enabled { get; set; } = true;

        public PluginStatus ToStatus() => new(
            Manifest.Id,
            Manifest.Version.ToString(),
            Manifest.DisplayName,
            Supervisor.State,
            Enabled,
            Directory,
            Supervisor.State == PluginState.Running ? Supervisor.ProcessId : null,
            Supervisor.RestartCount,
            Supervisor.LastError);
    }
}
