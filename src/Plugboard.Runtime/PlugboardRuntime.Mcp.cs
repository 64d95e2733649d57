using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>Hosted MCP servers: definitions from configuration and storage, supervision, resources and prompts.</summary>
public sealed partial class PlugboardRuntime : IPlugboardMcp
{
    private static readonly StorageScope McpScope = StorageScope.Of("runtime.mcp");
    private const string McpServerKeyPrefix = "server:";
    private const string McpEnabledKeyPrefix = "enabled:";
    private readonly ConcurrentDictionary<string, McpServerSupervisor> _mcpServers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _mcpGate = new(1, 1);
    private McpHostContext? _mcpContext;

    /// <inheritdoc/>
    public event EventHandler<McpServerStateChangedEventArgs>? McpServerStateChanged;

    /// <summary>
    /// Starts a stdio MCP server inside a Box session; set by the Box integration when the runtime has a Box. Servers whose
    /// location is <see cref="McpServerLocation.Box"/> fail with a clear error while it is null.
    /// </summary>
    internal McpLauncher? McpBoxLauncher { get; set; }

    private McpHostContext McpContext => _mcpContext ??= new McpHostContext(
        _options.Supervisor,
        _options.Mcp,
        _loggerFactory,
        _options.DataDirectory,
        (source, tools) => _tools.SetSourceTools(source, tools),
        () => McpBoxLauncher);

    /// <inheritdoc/>
    public IReadOnlyList<McpServerStatus> GetMcpServers() => [.. _mcpServers.Values.OrderBy(s => s.Definition.Name, StringComparer.Ordinal).Select(s => s.ToStatus())];

    /// <inheritdoc/>
    public McpServerStatus GetMcpServer(string name) => FindMcpServer(name).ToStatus();

    /// <inheritdoc/>
    public IReadOnlyList<string> GetMcpServerLogs(string name, int maxLines = 200) => FindMcpServer(name).Stderr.Tail(maxLines);

    /// <summary>Follows a hosted MCP server's stderr lines (for <c>logs --follow</c>); dispose the result to stop.</summary>
    public IDisposable FollowMcpServerLogs(string name, Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        var capture = FindMcpServer(name).Stderr;
        capture.LineReceived += onLine;
        return new CallbackDisposable(() => capture.LineReceived -= onLine);
    }

    /// <inheritdoc/>
    public async Task<McpServerStatus> AddMcpServerAsync(McpServerDefinition definition, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = definition.Validate();
        if (errors.Count > 0)
        {
            throw InvalidMcpServer(definition.Name, $"The MCP server definition is invalid: {string.Join(" ", errors)}");
        }

        await _mcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_mcpServers.TryGetValue(definition.Name, out var existing))
            {
                if (existing.Source == McpServerSource.Config)
                {
                    throw InvalidMcpServer(definition.Name, $"MCP server {definition.Name} is defined in the runtime configuration; change it there (or add this one under another name).");
                }

                if (!replace)
                {
                    throw InvalidMcpServer(definition.Name, $"An MCP server named {definition.Name} exists already; remove it first (`plugboard mcp remove {definition.Name}`) or replace it (--replace).");
                }

                await existing.StopAsync().ConfigureAwait(false);
                _mcpServers.TryRemove(definition.Name, out _);
            }

            var json = JsonSerializer.SerializeToUtf8Bytes(definition, McpJsonContext.Default.McpServerDefinition);
            await _storage.SetAsync(McpScope, McpServerKeyPrefix + definition.Name, json, cancellationToken).ConfigureAwait(false);
            await _storage.DeleteAsync(McpScope, McpEnabledKeyPrefix + definition.Name, cancellationToken).ConfigureAwait(false);
            var supervisor = AddMcpSupervisor(definition, McpServerSource.Storage, definition.Enabled);
            return supervisor.ToStatus();
        }
        finally
        {
            _mcpGate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task RemoveMcpServerAsync(string name, CancellationToken cancellationToken = default)
    {
        await _mcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var supervisor = FindMcpServer(name);
            if (supervisor.Source == McpServerSource.Config)
            {
                throw InvalidMcpServer(name, $"MCP server {name} is defined in the runtime configuration; remove it there, or disable it (`plugboard mcp disable {name}`).");
            }

            await supervisor.StopAsync().ConfigureAwait(false);
            _mcpServers.TryRemove(name, out _);
            await _storage.DeleteAsync(McpScope, McpServerKeyPrefix + name, cancellationToken).ConfigureAwait(false);
            await _storage.DeleteAsync(McpScope, McpEnabledKeyPrefix + name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _mcpGate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task EnableMcpServerAsync(string name, CancellationToken cancellationToken = default)
    {
        var supervisor = FindMcpServer(name);
        await _storage.SetAsync(McpScope, McpEnabledKeyPrefix + name, "true"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        supervisor.Enabled = true;
        supervisor.Start();
    }

    /// <inheritdoc/>
    public async Task DisableMcpServerAsync(string name, CancellationToken cancellationToken = default)
    {
        var supervisor = FindMcpServer(name);
        await _storage.SetAsync(McpScope, McpEnabledKeyPrefix + name, "false"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        supervisor.Enabled = false;
        await supervisor.StopAsync(PluginState.Disabled).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RestartMcpServerAsync(string name, CancellationToken cancellationToken = default)
    {
        var supervisor = FindMcpServer(name);
        if (!supervisor.Enabled)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerNotRunning, $"MCP server {name} is disabled; enable it instead of restarting it (`plugboard mcp enable {name}`).", ("server", name));
        }

        await supervisor.RestartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task WaitUntilMcpServerRunningAsync(string name, CancellationToken cancellationToken = default)
        => FindMcpServer(name).WaitUntilRunningAsync(cancellationToken);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<McpResourceInfo>> ListMcpResourcesAsync(string? server = null, CancellationToken cancellationToken = default)
    {
        var result = new List<McpResourceInfo>();
        foreach (var supervisor in McpTargets(server))
        {
            var client = supervisor.Client;
            if (client?.ServerCapabilities.Resources is null)
            {
                continue;
            }

            var name = supervisor.Definition.Name;
            await McpCall(name, async () =>
            {
                foreach (var resource in await client.ListResourcesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    result.Add(new McpResourceInfo(name, resource.Uri, resource.Name, resource.Title, resource.Description, resource.MimeType, IsTemplate: false));
                }

                foreach (var template in await client.ListResourceTemplatesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    result.Add(new McpResourceInfo(name, template.UriTemplate, template.Name, template.Title, template.Description, template.MimeType, IsTemplate: true));
                }

                return true;
            }).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc/>
    public async Task<JsonElement> ReadMcpResourceAsync(string server, string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        var supervisor = FindMcpServer(server);
        var client = supervisor.Client ?? throw supervisor.NotRunning();
        var result = await McpCall(server, async () => await client.ReadResourceAsync(uri, cancellationToken: cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(result, McpJson.ReadResourceResult);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<McpPromptInfo>> ListMcpPromptsAsync(string? server = null, CancellationToken cancellationToken = default)
    {
        var result = new List<McpPromptInfo>();
        foreach (var supervisor in McpTargets(server))
        {
            var client = supervisor.Client;
            if (client?.ServerCapabilities.Prompts is null)
            {
                continue;
            }

            var name = supervisor.Definition.Name;
            await McpCall(name, async () =>
            {
                foreach (var prompt in await client.ListPromptsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    var protocolPrompt = prompt.ProtocolPrompt;
                    var arguments = (protocolPrompt.Arguments ?? []).Select(a => new McpPromptArgumentInfo(a.Name, a.Description, a.Required ?? false)).ToList();
                    result.Add(new McpPromptInfo(name, protocolPrompt.Name, protocolPrompt.Title, protocolPrompt.Description, arguments));
                }

                return true;
            }).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc/>
    public async Task<JsonElement> GetMcpPromptAsync(string server, string prompt, IReadOnlyDictionary<string, JsonElement>? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(prompt);
        var supervisor = FindMcpServer(server);
        var client = supervisor.Client ?? throw supervisor.NotRunning();
        var parameters = new GetPromptRequestParams { Name = prompt, Arguments = arguments is null ? null : new Dictionary<string, JsonElement>(arguments, StringComparer.Ordinal) };
        var result = await McpCall(server, async () => await client.GetPromptAsync(parameters, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(result, McpJson.GetPromptResult);
    }

    /// <summary>Loads the configured and stored MCP servers and starts the enabled ones (from <see cref="StartAsync"/>).</summary>
    private async Task StartMcpAsync(CancellationToken cancellationToken)
    {
        await _mcpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var definition in _options.Mcp.Servers)
            {
                if (!_mcpServers.ContainsKey(definition.Name))
                {
                    var enabled = await McpEnabledOverrideAsync(definition.Name, cancellationToken).ConfigureAwait(false) ?? definition.Enabled;
                    AddMcpSupervisor(definition, McpServerSource.Config, enabled);
                }
            }

            foreach (var key in await _storage.ListKeysAsync(McpScope, McpServerKeyPrefix, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var name = key[McpServerKeyPrefix.Length..];
                if (_mcpServers.ContainsKey(name))
                {
                    continue; // The configuration wins over storage.
                }

                var entry = await _storage.GetAsync(McpScope, key, cancellationToken).ConfigureAwait(false);
                McpServerDefinition? definition = null;
                string? problem;
                try
                {
                    definition = entry is null ? null : JsonSerializer.Deserialize(entry.Value.Span, McpJsonContext.Default.McpServerDefinition);
                    problem = definition is null ? "no definition stored" : definition.Validate() is { Count: > 0 } errors ? string.Join(" ", errors) : null;
                }
                catch (JsonException ex)
                {
                    problem = $"the stored definition is not valid JSON ({ex.Message}); remove it with `plugboard mcp remove {name}` and add it again";
                }

                if (problem is not null || definition is null)
                {
                    McpLog.StoredServerSkipped(_logger, name, problem ?? "no definition stored");
                    continue;
                }

                var enabled = await McpEnabledOverrideAsync(name, cancellationToken).ConfigureAwait(false) ?? definition.Enabled;
                AddMcpSupervisor(definition, McpServerSource.Storage, enabled);
            }
        }
        finally
        {
            _mcpGate.Release();
        }
    }

    /// <summary>Stops every hosted MCP server gracefully (from <see cref="StopAsync"/>).</summary>
    private async Task StopMcpAsync() => await Task.WhenAll(_mcpServers.Values.Select(s => s.StopAsync(s.Enabled ? PluginState.Stopped : PluginState.Disabled))).ConfigureAwait(false);

    private McpServerSupervisor AddMcpSupervisor(McpServerDefinition definition, McpServerSource source, bool enabled)
    {
        var supervisor = new McpServerSupervisor(definition, source, McpContext) { Enabled = enabled };
        supervisor.StateChanged += (_, e) => McpServerStateChanged?.Invoke(this, e);
        _mcpServers[definition.Name] = supervisor;
        if (!enabled)
        {
            supervisor.MarkDisabled();
        }
        else if (_options.StartPlugins)
        {
            supervisor.Start();
        }

        return supervisor;
    }

    private async Task<bool?> McpEnabledOverrideAsync(string name, CancellationToken cancellationToken)
    {
        var entry = await _storage.GetAsync(McpScope, McpEnabledKeyPrefix + name, cancellationToken).ConfigureAwait(false);
        return entry is null ? null : Encoding.UTF8.GetString(entry.Value.Span) == "true";
    }

    private IEnumerable<McpServerSupervisor> McpTargets(string? server)
        => server is null
            ? _mcpServers.Values.Where(s => s.State == PluginState.Running).OrderBy(s => s.Definition.Name, StringComparer.Ordinal)
            : [FindMcpServer(server)];

    private McpServerSupervisor FindMcpServer(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _mcpServers.TryGetValue(name, out var supervisor)
            ? supervisor
            : throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerNotFound, $"No MCP server named '{name}'. List them with `plugboard mcp list`.", ("server", name));
    }

    private static JsonRpcException InvalidMcpServer(string? name, string message) => JsonRpcException.WithData(PlugboardErrorCodes.McpServerInvalid, message, ("server", name));

    private static async Task<T> McpCall<T>(string server, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (McpProtocolException ex)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerError, $"MCP server {server} answered with error {(int)ex.ErrorCode}: {ex.Message}", ("server", server), ("mcpCode", ((int)ex.ErrorCode).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.McpServerNotRunning, $"MCP server {server} went away ({ex.Message}); it is being restarted.", ("server", server));
        }
    }

    private sealed class CallbackDisposable(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
