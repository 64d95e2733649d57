// Sampling and logging are deprecated from MCP 2026-07-28 (SEP-2577, MCP9005) but part of the 2025 revisions that
// servers and clients still speak; Plugboard relays them for those peers.
#pragma warning disable MCP9005

using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime.Mcp.Serving;

/// <summary>
/// Plugboard as an MCP server, on the official SDK: exposes the runtime's tool registry (plugin tools, MCP tools, Box
/// tools) filtered by <see cref="McpServeOptions"/>, and the resources and prompts of the MCP servers the runtime hosts.
/// Tool calls carry progress (<c>notifications/progress</c> from the tool's progress values) and cancellation
/// (<c>notifications/cancelled</c> cancels the registry call, which a plugin sees as <c>$/cancelRequest</c>); every
/// session gets <c>notifications/tools/list_changed</c> when the exposed tools change. One instance serves any number of
/// sessions over any transport (stdio for <c>plugboard mcp serve</c>, Streamable HTTP for <c>/mcp</c>).
/// </summary>
public sealed class PlugboardMcpServer : IDisposable
{
    private readonly IPlugboardRuntime _runtime;
    private readonly IPlugboardMcp? _mcp;
    private readonly McpServeOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<McpServer, string> _sessions = new();
    private readonly Lock _lock = new();
    private string _exposedSignature = string.Empty;
    private int _disposed;

    /// <summary>Creates the server over a runtime (and its hosted MCP servers, when <paramref name="mcp"/> is given).</summary>
    public PlugboardMcpServer(IPlugboardRuntime runtime, IPlugboardMcp? mcp, McpServeOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _runtime = runtime;
        _mcp = mcp;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Plugboard.Mcp.Server");
        _exposedSignature = Signature(ListTools());
        _runtime.ToolsChanged += OnToolsChanged;
        if (_mcp is not null)
        {
            _mcp.McpServerStateChanged += OnMcpServerStateChanged;
        }
    }

    /// <summary>How many sessions are open.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>The SDK options of one session: capabilities, server info and the handlers.</summary>
    public McpServerOptions CreateServerOptions() => new()
    {
        ServerInfo = new Implementation { Name = _options.ServerName, Title = "Plugboard", Version = RuntimeInfo.Version },
        ServerInstructions = "Plugboard's tool registry: plugin tools (plugin-id.tool), tools of the MCP servers it hosts (mcp.server.tool) and sandbox tools (box.*). Resources and prompts come from the hosted MCP servers.",
        Capabilities = new ServerCapabilities
        {
            Tools = new ToolsCapability { ListChanged = true },
            Resources = _mcp is not null && _options.Resources ? new ResourcesCapability { ListChanged = true } : null,
            Prompts = _mcp is not null && _options.Prompts ? new PromptsCapability { ListChanged = true } : null,
            Logging = new LoggingCapability(),
            Completions = new CompletionsCapability(),
        },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult { Tools = [.. ListTools().Select(t => t.Tool)] }),
            CallToolHandler = CallToolAsync,
            ListResourcesHandler = ListResourcesAsync,
            ListResourceTemplatesHandler = ListResourceTemplatesAsync,
            ReadResourceHandler = ReadResourceAsync,
            ListPromptsHandler = ListPromptsAsync,
            GetPromptHandler = GetPromptAsync,
            CompleteHandler = (_, _) => ValueTask.FromResult(new CompleteResult { Completion = new Completion { Values = [], Total = 0, HasMore = false } }),
            SetLoggingLevelHandler = (_, _) => ValueTask.FromResult(new EmptyResult()),
        },
    };

    /// <summary>Creates a session on <paramref name="transport"/>; run it with <see cref="McpServer.RunAsync"/>, then call <see cref="EndSession"/>.</summary>
    public McpServer CreateSession(ITransport transport, string description)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var server = McpServer.Create(transport, CreateServerOptions(), _loggers);
        _sessions[server] = description;
        return server;
    }

    /// <summary>Forgets a session created with <see cref="CreateSession"/>.</summary>
    public void EndSession(McpServer server, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (_sessions.TryRemove(server, out var description))
        {
            McpLog.SessionEnded(_logger, description, reason is null ? string.Empty : $" ({reason})");
        }
    }

    /// <summary>Serves one session on <paramref name="transport"/> until it ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunSessionAsync(ITransport transport, string description, CancellationToken cancellationToken)
    {
        var server = CreateSession(transport, description);
        try
        {
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EndSession(server);
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The exposed tools: MCP name, registry name and the MCP tool description.</summary>
    public IReadOnlyList<(string QualifiedName, Tool Tool)> ListTools()
    {
        var result = new List<(string, Tool)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var info in _runtime.GetTools())
        {
            if (!_options.Exposes(info.Name))
            {
                continue;
            }

            var exposed = ExposedName(info.Name);
            if (exposed.Length > 128 || !names.Add(exposed))
            {
                McpLog.ToolNotExposed(_logger, info.Name, exposed.Length > 128 ? "its name is longer than MCP's 128 characters" : $"another tool is exposed as '{exposed}'");
                continue;
            }

            result.Add((info.Name, new Tool
            {
                Name = exposed,
                Description = string.IsNullOrWhiteSpace(info.Description) ? $"{BareName(info)} (from {info.PluginId})" : info.Description,
                InputSchema = info.Parameters is { ValueKind: JsonValueKind.Object } schema ? schema : EmptyObjectSchema,
            }));
        }

        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _runtime.ToolsChanged -= OnToolsChanged;
        if (_mcp is not null)
        {
            _mcp.McpServerStateChanged -= OnMcpServerStateChanged;
        }
    }

    /// <summary>The MCP name of a registry tool: its registry name with <c>/</c> as <c>.</c> (MCP names allow letters, digits, <c>_ - .</c>).</summary>
    public static string ExposedName(string qualifiedName)
    {
        ArgumentNullException.ThrowIfNull(qualifiedName);
        return string.Create(qualifiedName.Length, qualifiedName, static (span, name) =>
        {
            for (var i = 0; i < name.Length; i++)
            {
                var c = name[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : c == '/' ? '.' : '_';
            }
        });
    }

    private static readonly JsonElement EmptyObjectSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement.Clone();

    private static string BareName(ToolInfo info)
        => info.Name.Length > info.PluginId.Length + 1 && info.Name.StartsWith(info.PluginId, StringComparison.Ordinal) && info.Name[info.PluginId.Length] is '/' or '.'
            ? info.Name[(info.PluginId.Length + 1)..]
            : info.Name;

    private async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var parameters = request.Params ?? throw new McpProtocolException("tools/call needs params with the tool's name.", McpErrorCode.InvalidParams);
        var qualified = ResolveTool(parameters.Name);
        var arguments = ToObject(parameters.Arguments);
        ProgressForwarder? progress = parameters.ProgressToken is { } token ? new ProgressForwarder(request.Server, token) : null;
        var caller = CallerOf(request.Server);
        McpCaller.Current = caller;
        try
        {
            var result = await _runtime.InvokeToolAsync(qualified, arguments, progress, null, cancellationToken).ConfigureAwait(false);
            if (progress is not null)
            {
                await progress.FlushAsync().ConfigureAwait(false);
            }

            await caller.FlushAsync().ConfigureAwait(false);
            return ToCallToolResult(result);
        }
        catch (JsonRpcException ex) when (ex.Code == PlugboardErrorCodes.ToolNotFound)
        {
            throw new McpProtocolException($"Unknown tool '{parameters.Name}': {ex.Message}", McpErrorCode.InvalidParams);
        }
        catch (JsonRpcException ex)
        {
            // Tool execution errors (invalid arguments, timeouts, a plugin or server that went away) are results the model sees.
            return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = ex.Message }], StructuredContent = ex.Data is { } data ? ErrorObject(ex.Code, data) : null };
        }
    }

    /// <summary>
    /// This session as the caller of a registry call: hosted MCP servers' sampling and elicitation requests during the call
    /// are asked of it (when it declared those capabilities), and their log messages are sent to it.
    /// </summary>
    private static McpCaller CallerOf(McpServer session)
    {
        var capabilities = session.ClientCapabilities;
        var canSample = capabilities?.Sampling is not null;
        return new McpCaller(
            session,
            canSample ? (request, ct) => session.SampleAsync(request, ct) : null,
            capabilities?.Elicitation is not null ? (request, ct) => session.ElicitAsync(request, ct) : null,
            parameters => session.SendNotificationAsync(NotificationMethods.LoggingMessageNotification, parameters, McpJsonUtilities.DefaultOptions, CancellationToken.None));
    }

    /// <summary>An exposed name, a registry name, or a bare tool name that only one exposed tool has.</summary>
    private string ResolveTool(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new McpProtocolException("tools/call needs the tool's name.", McpErrorCode.InvalidParams);
        }

        var tools = _runtime.GetTools().Where(t => _options.Exposes(t.Name)).ToList();
        var exact = tools.FirstOrDefault(t => ExposedName(t.Name) == name) ?? tools.FirstOrDefault(t => t.Name == name);
        if (exact is not null)
        {
            return exact.Name;
        }

        var bare = tools.Where(t => BareName(t) == name).ToList();
        return bare.Count switch
        {
            1 => bare[0].Name,
            0 => throw new McpProtocolException($"Unknown tool '{name}'. Call tools/list for the tools Plugboard exposes.", McpErrorCode.InvalidParams),
            _ => throw new McpProtocolException($"Tool name '{name}' is ambiguous; use one of: {string.Join(", ", bare.Select(t => ExposedName(t.Name)).Order(StringComparer.Ordinal))}.", McpErrorCode.InvalidParams),
        };
    }

    private static JsonElement ToObject(IDictionary<string, JsonElement>? arguments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in arguments ?? new Dictionary<string, JsonElement>())
            {
                writer.WritePropertyName(key);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>An MCP tool's result passes through; any other JSON result becomes text content (and structured content when an object).</summary>
    private static CallToolResult ToCallToolResult(JsonElement result)
    {
        if (result.ValueKind == JsonValueKind.Object && result.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            try
            {
                if (result.Deserialize(McpJson.CallToolResult) is { } passed)
                {
                    return passed;
                }
            }
            catch (JsonException)
            {
                // Not an MCP result after all; wrap it below.
            }
        }

        var text = result.ValueKind == JsonValueKind.String ? result.GetString()! : result.ValueKind == JsonValueKind.Undefined ? "null" : result.GetRawText();
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = result.ValueKind == JsonValueKind.Object ? result : null,
        };
    }

    private static JsonElement ErrorObject(int code, JsonElement data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("code", code);
            writer.WritePropertyName("data");
            data.WriteTo(writer);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private async ValueTask<ListResourcesResult> ListResourcesAsync(RequestContext<ListResourcesRequestParams> request, CancellationToken cancellationToken)
    {
        var resources = await HostedResourcesAsync(cancellationToken).ConfigureAwait(false);
        return new ListResourcesResult
        {
            Resources = [.. resources.Where(r => !r.IsTemplate).DistinctBy(r => r.Uri, StringComparer.Ordinal)
                .Select(r => new Resource { Uri = r.Uri, Name = r.Name, Title = r.Title, Description = r.Description, MimeType = r.MimeType })],
        };
    }

    private async ValueTask<ListResourceTemplatesResult> ListResourceTemplatesAsync(RequestContext<ListResourceTemplatesRequestParams> request, CancellationToken cancellationToken)
    {
        var resources = await HostedResourcesAsync(cancellationToken).ConfigureAwait(false);
        return new ListResourceTemplatesResult
        {
            ResourceTemplates = [.. resources.Where(r => r.IsTemplate).DistinctBy(r => r.Uri, StringComparer.Ordinal)
                .Select(r => new ResourceTemplate { UriTemplate = r.Uri, Name = r.Name, Title = r.Title, Description = r.Description, MimeType = r.MimeType })],
        };
    }

    private async Task<IReadOnlyList<McpResourceInfo>> HostedResourcesAsync(CancellationToken cancellationToken)
        => _mcp is null || !_options.Resources ? [] : await _mcp.ListMcpResourcesAsync(null, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads from the server that lists the URI; otherwise asks each server with resources until one has it (templates).</summary>
    private async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        if (string.IsNullOrEmpty(uri) || _mcp is null || !_options.Resources)
        {
            throw new McpProtocolException($"Resource '{uri}' not found.", McpErrorCode.ResourceNotFound);
        }

        var resources = await _mcp.ListMcpResourcesAsync(null, cancellationToken).ConfigureAwait(false);
        var candidates = resources.Where(r => !r.IsTemplate && r.Uri == uri).Select(r => r.Server)
            .Concat(resources.Select(r => r.Server))
            .Distinct(StringComparer.Ordinal);
        string? lastError = null;
        foreach (var server in candidates)
        {
            try
            {
                var result = await _mcp.ReadMcpResourceAsync(server, uri, cancellationToken).ConfigureAwait(false);
                return result.Deserialize(McpJson.ReadResourceResult) ?? throw new McpProtocolException($"MCP server {server} returned no contents for '{uri}'.", McpErrorCode.InternalError);
            }
            catch (JsonRpcException ex) when (ex.Code is PlugboardErrorCodes.McpServerError or PlugboardErrorCodes.McpServerNotRunning)
            {
                lastError = ex.Message;
            }
        }

        throw new McpProtocolException($"Resource '{uri}' not found{(lastError is null ? "." : $": {lastError}")}", McpErrorCode.ResourceNotFound);
    }

    private async ValueTask<ListPromptsResult> ListPromptsAsync(RequestContext<ListPromptsRequestParams> request, CancellationToken cancellationToken)
    {
        var prompts = _mcp is null || !_options.Prompts ? [] : await _mcp.ListMcpPromptsAsync(null, cancellationToken).ConfigureAwait(false);
        return new ListPromptsResult
        {
            Prompts = [.. prompts.Select(p => new Prompt
            {
                Name = McpNames.QualifiedToolName(p.Server, p.Name),
                Title = p.Title,
                Description = p.Description,
                Arguments = [.. p.Arguments.Select(a => new PromptArgument { Name = a.Name, Description = a.Description, Required = a.Required })],
            })],
        };
    }

    private async ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> request, CancellationToken cancellationToken)
    {
        var name = request.Params?.Name;
        if (string.IsNullOrEmpty(name) || _mcp is null || !_options.Prompts)
        {
            throw new McpProtocolException($"Prompt '{name}' not found.", McpErrorCode.InvalidParams);
        }

        var prompts = await _mcp.ListMcpPromptsAsync(null, cancellationToken).ConfigureAwait(false);
        var matches = prompts.Where(p => McpNames.QualifiedToolName(p.Server, p.Name) == name).ToList();
        if (matches.Count == 0)
        {
            matches = [.. prompts.Where(p => p.Name == name)];
        }

        if (matches.Count != 1)
        {
            throw new McpProtocolException(
                matches.Count == 0 ? $"Prompt '{name}' not found. Call prompts/list for the prompts Plugboard exposes." : $"Prompt name '{name}' is ambiguous; use one of: {string.Join(", ", matches.Select(p => McpNames.QualifiedToolName(p.Server, p.Name)))}.",
                McpErrorCode.InvalidParams);
        }

        var prompt = matches[0];
        var arguments = request.Params!.Arguments is { } given ? new Dictionary<string, JsonElement>(given, StringComparer.Ordinal) : null;
        try
        {
            var result = await _mcp.GetMcpPromptAsync(prompt.Server, prompt.Name, arguments, cancellationToken).ConfigureAwait(false);
            return result.Deserialize(McpJson.GetPromptResult) ?? new GetPromptResult { Messages = [] };
        }
        catch (JsonRpcException ex)
        {
            throw new McpProtocolException(ex.Message, McpErrorCode.InternalError);
        }
    }

    private void OnToolsChanged(object? sender, EventArgs e)
    {
        string signature;
        lock (_lock)
        {
            signature = Signature(ListTools());
            if (signature == _exposedSignature)
            {
                return;
            }

            _exposedSignature = signature;
        }

        Broadcast(NotificationMethods.ToolListChangedNotification);
    }

    private void OnMcpServerStateChanged(object? sender, McpServerStateChangedEventArgs e)
    {
        if (e.Current == PluginState.Running || e.Previous == PluginState.Running)
        {
            if (_options.Resources)
            {
                Broadcast(NotificationMethods.ResourceListChangedNotification);
            }

            if (_options.Prompts)
            {
                Broadcast(NotificationMethods.PromptListChangedNotification);
            }
        }
    }

    private void Broadcast(string method)
    {
        foreach (var (server, description) in _sessions)
        {
            _ = NotifyAsync(server, description, method);
        }
    }

    private async Task NotifyAsync(McpServer server, string description, string method)
    {
        try
        {
            await server.SendNotificationAsync(method, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            McpLog.ListChangedFailed(_logger, description, ex.Message);
        }
    }

    private static string Signature(IReadOnlyList<(string QualifiedName, Tool Tool)> tools)
        => string.Join('\n', tools.Select(t => t.Tool.Name + "\u0001" + t.Tool.Description + "\u0001" + t.Tool.InputSchema.GetRawText()));

    /// <summary>Turns a tool's progress values into <c>notifications/progress</c> for one request, in order.</summary>
    private sealed class ProgressForwarder(McpServer server, ModelContextProtocol.Protocol.ProgressToken token) : IProgress<JsonElement>
    {
        private readonly Lock _lock = new();
        private Task _tail = Task.CompletedTask;
        private float _last;

        public void Report(JsonElement value)
        {
            lock (_lock)
            {
                var notification = ToProgress(value);
                _tail = _tail.ContinueWith(
                    _ => server.NotifyProgressAsync(token, notification, cancellationToken: CancellationToken.None),
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default).Unwrap();
            }
        }

        /// <summary>Completes when every progress reported so far was sent (so they precede the response).</summary>
        public async Task FlushAsync()
        {
            Task tail;
            lock (_lock)
            {
                tail = _tail;
            }

            try
            {
                await tail.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away; the response will not arrive either.
            }
        }

        /// <summary>
        /// <c>{"progress":n,"total":t,"message":"..."}</c> values pass through; a number is the progress; anything else is
        /// the message of the next step (MCP progress must increase).
        /// </summary>
        private ProgressNotificationValue ToProgress(JsonElement value)
        {
            float? progress = null;
            float? total = null;
            string? message = null;
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    if (value.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Number)
                    {
                        progress = p.GetSingle();
                    }

                    if (value.TryGetProperty("total", out var t) && t.ValueKind == JsonValueKind.Number)
                    {
                        total = t.GetSingle();
                    }

                    message = value.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : progress is null ? value.GetRawText() : null;
                    break;
                case JsonValueKind.Number:
                    progress = value.GetSingle();
                    break;
                case JsonValueKind.String:
                    message = value.GetString();
                    break;
                default:
                    message = value.GetRawText();
                    break;
            }

            _last = progress is { } given && given > _last ? given : _last + 1;
            return new ProgressNotificationValue { Progress = _last, Total = total, Message = message };
        }
    }
}
