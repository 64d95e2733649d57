using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Plugins;
using Plugboard.Runtime.Storage;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Runtime;

/// <summary>Bots: configured adapter instances, their lifecycle on their adapter plugin, and per-bot event routing.</summary>
public sealed partial class PlugboardRuntime
{
    private const int RecentEventsPerBot = 100;
    private static readonly StorageScope BotScope = StorageScope.Of("runtime.bots");
    private readonly ConcurrentDictionary<string, BotState> _bots = new(StringComparer.Ordinal);
    private WebhookSender? _webhooks;

    /// <summary>All bots, ordered by id.</summary>
    public IReadOnlyList<BotStatus> GetBots() => [.. _bots.Values.OrderBy(b => b.Definition.Id, StringComparer.Ordinal).Select(ToStatus)];

    /// <summary>One bot; throws <see cref="PlugboardErrorCodes.BotNotFound"/> if unknown.</summary>
    public BotStatus GetBot(string botId) => ToStatus(FindBot(botId));

    /// <summary>Adds (or, with <paramref name="replace"/>, replaces) a bot after validating it against its adapter, persists it and starts it.</summary>
    public async Task<BotStatus> AddBotAsync(BotDefinition bot, bool replace = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bot);
        bot = ValidateBot(bot);
        if (!replace && _bots.ContainsKey(bot.Id))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.BotInvalid, $"A bot with id '{bot.Id}' already exists; remove it first or replace it.", ("bot", bot.Id));
        }

        await _storage.SetAsync(BotScope, bot.Id, JsonSerializer.SerializeToUtf8Bytes(bot, BotJsonContext.Default.BotDefinition), cancellationToken).ConfigureAwait(false);
        if (_bots.TryRemove(bot.Id, out var previous))
        {
            await StopBotAsync(previous).ConfigureAwait(false);
        }

        var state = new BotState(bot);
        _bots[bot.Id] = state;
        await StartBotAsync(state, cancellationToken).ConfigureAwait(false);
        return ToStatus(state);
    }

    /// <summary>Stops and deletes a bot.</summary>
    public async Task RemoveBotAsync(string botId, CancellationToken cancellationToken = default)
    {
        var state = FindBot(botId);
        await StopBotAsync(state).ConfigureAwait(false);
        _bots.TryRemove(botId, out _);
        await _storage.DeleteAsync(BotScope, botId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Enables a bot (persisted) and starts it.</summary>
    public async Task EnableBotAsync(string botId, CancellationToken cancellationToken = default)
        => await AddBotAsync(FindBot(botId).Definition with { Enabled = true }, replace: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Stops a bot and disables it (persisted).</summary>
    public async Task DisableBotAsync(string botId, CancellationToken cancellationToken = default)
        => await AddBotAsync(FindBot(botId).Definition with { Enabled = false }, replace: true, cancellationToken).ConfigureAwait(false);

    /// <summary>The last routed events of a bot with their outcome, newest last.</summary>
    public IReadOnlyList<BotEventRecord> GetRecentEvents(string botId, int max = 100)
    {
        var state = FindBot(botId);
        lock (state.Recent)
        {
            return [.. state.Recent.Skip(Math.Max(0, state.Recent.Count - max))];
        }
    }

    /// <summary>What a bot's adapter supports.</summary>
    public BotCapabilities GetBotCapabilities(string botId)
    {
        var state = FindBot(botId);
        var adapter = FindAdapter(state.Definition.AdapterPlugin, state.Definition.Platform);
        var apis = AdapterApis.Required.Union(adapter.Apis, StringComparer.Ordinal).ToList();
        return new BotCapabilities(state.Definition.Id, state.Definition.Platform, adapter.Events, apis, [.. adapter.Actions.Select(a => a.Name)]);
    }

    /// <summary>Calls an adapter API through a bot; unsupported APIs get <see cref="PlugboardErrorCodes.AdapterNotSupported"/>.</summary>
    public async Task<JsonElement> CallBotAsync(string botId, string api, JsonElement parameters, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(api);
        var state = FindBot(botId);
        var capabilities = GetBotCapabilities(botId);
        if (!capabilities.Apis.Contains(api, StringComparer.Ordinal))
        {
            throw JsonRpcException.WithData(
                PlugboardErrorCodes.AdapterNotSupported,
                $"Bot {botId} ({capabilities.Platform}) does not support '{api}'. It supports: {string.Join(", ", capabilities.Apis)}.",
                ("bot", botId),
                ("api", api));
        }

        var connection = RunningConnection(Find(state.Definition.AdapterPlugin));
        var payload = parameters.ValueKind == JsonValueKind.Object ? JsonNode.Parse(parameters.GetRawText())!.AsObject() : [];
        payload["botId"] = botId;
        return await connection.InvokeAsync<JsonElement>(AdapterApis.Method(api), payload, _options.ToolTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Routes an event of a bot through its rules (first enabled match by priority; none → all plugin listeners).</summary>
    public async Task<BotEventRecord> RouteEventAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginEvent);
        var state = FindBot(pluginEvent.BotId ?? throw new ArgumentException("The event has no bot id.", nameof(pluginEvent)));
        var routes = state.Definition.Routes ?? [];
        var rule = routes
            .Select((r, index) => (Rule: r, Index: index))
            .Where(x => x.Rule.Enabled && EventPattern.Matches(x.Rule.Event, pluginEvent.Type))
            .OrderByDescending(x => x.Rule.Priority)
            .ThenBy(x => x.Index)
            .Select(x => x.Rule)
            .FirstOrDefault() ?? new RouteRule("*", RouteHandlerKind.Plugins, Description: "default");
        var ruleName = rule.Description ?? rule.Event;
        BotEventRecord record;
        try
        {
            var outcome = rule.Handler switch
            {
                RouteHandlerKind.Plugins => await RouteToPluginsAsync(state, rule, pluginEvent, cancellationToken).ConfigureAwait(false),
                RouteHandlerKind.Webhook => await RouteToWebhookAsync(state, rule, pluginEvent, cancellationToken).ConfigureAwait(false),
                _ => "ignored",
            };
            record = new BotEventRecord(pluginEvent.Id, pluginEvent.Type, DateTimeOffset.UtcNow, ruleName, rule.Handler, outcome, null);
            BotLog.Routed(_logger, state.Definition.Id, pluginEvent.Type, pluginEvent.Id, ruleName, rule.Handler, outcome);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            record = new BotEventRecord(pluginEvent.Id, pluginEvent.Type, DateTimeOffset.UtcNow, ruleName, rule.Handler, "failed", ex.Message);
            BotLog.RouteFailed(_logger, state.Definition.Id, pluginEvent.Type, pluginEvent.Id, ruleName, rule.Handler, ex.Message);
        }

        lock (state.Recent)
        {
            state.Recent.Enqueue(record);
            while (state.Recent.Count > RecentEventsPerBot)
            {
                state.Recent.Dequeue();
            }
        }

        return record;
    }

    private async Task LoadBotsAsync(CancellationToken cancellationToken)
    {
        foreach (var key in await _storage.ListKeysAsync(BotScope, null, null, null, cancellationToken).ConfigureAwait(false))
        {
            var entry = await _storage.GetAsync(BotScope, key, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                continue;
            }

            var definition = JsonSerializer.Deserialize(entry.Value.Span, BotJsonContext.Default.BotDefinition)!;
            _bots[definition.Id] = new BotState(definition);
        }

        foreach (var state in _bots.Values)
        {
            await StartBotAsync(state, cancellationToken).ConfigureAwait(false);
        }

        if (_options.SeedDefaultBots)
        {
            await DefaultBots.SeedAsync(this, _storage, _logger, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartBotAsync(BotState state, CancellationToken cancellationToken)
    {
        var bot = state.Definition;
        if (!bot.Enabled)
        {
            state.Set("Disabled", null);
            return;
        }

        if (!_plugins.TryGetValue(bot.AdapterPlugin, out var plugin) || plugin.Supervisor.Connection is not { } connection)
        {
            state.Set("Waiting", $"adapter plugin {bot.AdapterPlugin} is not running");
            return;
        }

        try
        {
            await connection.InvokeAsync<JsonElement>(AdapterApis.StartMethod, new AdapterStartParams(bot.Id, bot.Platform, bot.Config), _options.ToolTimeout, cancellationToken).ConfigureAwait(false);
            state.Set("Running", null);
            BotLog.BotStarted(_logger, bot.Id, bot.AdapterPlugin, bot.Platform);
        }
        catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or TimeoutException)
        {
            state.Set("Failed", ex.Message);
            BotLog.BotStartFailed(_logger, bot.Id, bot.AdapterPlugin, ex.Message);
        }
    }

    private async Task StopBotAsync(BotState state)
    {
        if (state.State == "Running" && _plugins.TryGetValue(state.Definition.AdapterPlugin, out var plugin) && plugin.Supervisor.Connection is { } connection)
        {
            try
            {
                await connection.InvokeAsync<JsonElement>(AdapterApis.StopMethod, new BotParams(state.Definition.Id), _options.ToolTimeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or TimeoutException)
            {
                BotLog.BotStartFailed(_logger, state.Definition.Id, state.Definition.AdapterPlugin, "stop failed: " + ex.Message);
            }
        }

        state.Set("Stopped", null);
    }

    /// <summary>Starts the bots of an adapter plugin that just became Running; marks them Waiting when it stops.</summary>
    private void OnAdapterPluginStateChanged(PluginStateChangedEventArgs e)
    {
        foreach (var state in _bots.Values.Where(b => b.Definition.AdapterPlugin == e.PluginId))
        {
            if (e.Current == PluginState.Running)
            {
                if (state.Definition.Enabled)
                {
                    state.Set("Starting", null);
                }

                _ = StartBotAsync(state, CancellationToken.None);
            }
            else if (state.Definition.Enabled)
            {
                state.Set("Waiting", $"adapter plugin {e.PluginId} is {e.Current}");
            }
        }
    }

    private async Task<string> RouteToPluginsAsync(BotState state, RouteRule rule, PluginEvent pluginEvent, CancellationToken cancellationToken)
    {
        var filter = rule.Plugins is { Count: > 0 } names
            ? new Func<string, string, bool>((plugin, listener) => names.Contains(plugin) || names.Contains($"{plugin}/{listener}"))
            : null;
        var outcome = await DispatchCoreAsync(pluginEvent, filter, cancellationToken).ConfigureAwait(false);
        foreach (var listener in outcome.Listeners)
        {
            if (listener.Result is { ValueKind: JsonValueKind.Object } result && result.TryGetProperty("actions", out var actions))
            {
                var list = actions.Deserialize(BotJsonContext.Default.RouteActionArray);
                await ExecuteActionsAsync(state, pluginEvent, list ?? [], cancellationToken).ConfigureAwait(false);
            }
        }

        var handled = outcome.Listeners.Count(l => l.Status == ListenerStatus.Handled);
        return $"{handled}/{outcome.Listeners.Count} listener(s) handled it" + (outcome.StoppedBy is null ? string.Empty : $", stopped by {outcome.StoppedBy}");
    }

    private async Task<string> RouteToWebhookAsync(BotState state, RouteRule rule, PluginEvent pluginEvent, CancellationToken cancellationToken)
    {
        var settings = rule.Webhook!;
        _webhooks ??= new WebhookSender(new HttpClient(), _logger);
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new JsonObject
            {
                ["event"] = JsonSerializer.SerializeToNode(pluginEvent, ContractsJsonContext.Default.PluginEvent),
                ["bot"] = new JsonObject { ["id"] = state.Definition.Id, ["name"] = state.Definition.Name, ["platform"] = state.Definition.Platform },
            },
            RuntimeJsonContext.Default.JsonObject);
        var actions = await _webhooks.SendAsync(settings, pluginEvent.Type, pluginEvent.Id, body, cancellationToken).ConfigureAwait(false);
        await ExecuteActionsAsync(state, pluginEvent, actions, cancellationToken).ConfigureAwait(false);
        return $"delivered; {actions.Count} action(s)";
    }

    private async Task ExecuteActionsAsync(BotState state, PluginEvent pluginEvent, IReadOnlyList<RouteAction> actions, CancellationToken cancellationToken)
    {
        foreach (var action in actions)
        {
            try
            {
                var parameters = action.Params.ValueKind == JsonValueKind.Object ? JsonNode.Parse(action.Params.GetRawText())!.AsObject() : [];
                if (action.Api == AdapterApis.Reply && pluginEvent.Data.ValueKind == JsonValueKind.Object)
                {
                    // A reply goes to the event's own conversation and message unless the action says otherwise.
                    if (!parameters.ContainsKey("chat") && pluginEvent.Data.TryGetProperty("chat", out var chat))
                    {
                        parameters["chat"] = JsonNode.Parse(chat.GetRawText());
                    }

                    if (!parameters.ContainsKey("messageId") && pluginEvent.Data.TryGetProperty("messageId", out var messageId))
                    {
                        parameters["messageId"] = JsonNode.Parse(messageId.GetRawText());
                    }
                }

                var element = JsonSerializer.SerializeToElement(parameters, RuntimeJsonContext.Default.JsonObject);
                await CallBotAsync(state.Definition.Id, action.Api, element, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonRpcException or JsonRpcConnectionLostException or TimeoutException or JsonException)
            {
                BotLog.ActionFailed(_logger, state.Definition.Id, action.Api, ex.Message);
            }
        }
    }

    private BotDefinition ValidateBot(BotDefinition bot)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(bot.Id) || !BotIdPattern().IsMatch(bot.Id))
        {
            errors.Add($"id: '{bot.Id}' must be 1-64 characters of lowercase letters, digits, '-' and '_', starting with a letter or digit");
        }

        var platform = bot.Platform;
        JsonElement config = bot.Config;
        if (!_plugins.TryGetValue(bot.AdapterPlugin, out var plugin))
        {
            errors.Add($"adapterPlugin: no plugin '{bot.AdapterPlugin}' is installed");
        }
        else
        {
            var adapters = plugin.Manifest.Components.Adapters;
            if (string.IsNullOrEmpty(platform) && adapters.Count == 1)
            {
                platform = adapters[0].Platform;
            }

            var adapter = adapters.FirstOrDefault(a => a.Platform == platform);
            if (adapter is null)
            {
                errors.Add($"platform: plugin {bot.AdapterPlugin} has no adapter '{platform}' (it has: {string.Join(", ", adapters.Select(a => a.Platform))})");
            }
            else
            {
                var values = bot.Config.ValueKind == JsonValueKind.Object ? JsonNode.Parse(bot.Config.GetRawText()) : new JsonObject();
                var result = ConfigValidator.Validate(adapter.Config, values);
                errors.AddRange(result.Errors.Select(e => "config" + e.ToString().TrimStart('$')));
                config = JsonSerializer.SerializeToElement(result.Values, RuntimeJsonContext.Default.JsonObject);
            }
        }

        var routes = bot.Routes ?? [];
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (string.IsNullOrEmpty(route.Event) || !(route.Event == "*" || RoutePatternRegex().IsMatch(route.Event)))
            {
                errors.Add($"routes[{i}].event: '{route.Event}' is not an event type, 'ns.*' or '*'");
            }

            if (route.Handler == RouteHandlerKind.Webhook && (route.Webhook is null || !Uri.TryCreate(route.Webhook.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            {
                errors.Add($"routes[{i}].webhook.url: a webhook rule needs an absolute http(s) URL");
            }
        }

        if (errors.Count > 0)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.BotInvalid, $"Invalid bot '{bot.Id}': {string.Join("; ", errors)}.", ("bot", bot.Id));
        }

        return bot with { Platform = platform, Config = config };
    }

    private AdapterComponent FindAdapter(string pluginId, string platform)
        => Find(pluginId).Manifest.Components.Adapters.FirstOrDefault(a => a.Platform == platform)
            ?? throw JsonRpcException.WithData(PlugboardErrorCodes.AdapterNotSupported, $"Plugin {pluginId} no longer declares adapter '{platform}'.", ("plugin", pluginId));

    private BotState FindBot(string botId)
    {
        ArgumentException.ThrowIfNullOrEmpty(botId);
        return _bots.TryGetValue(botId, out var state)
            ? state
            : throw JsonRpcException.WithData(PlugboardErrorCodes.BotNotFound, $"No bot with id '{botId}'. List bots with `plugboard bot list`.", ("bot", botId));
    }

    private BotStatus ToStatus(BotState state)
    {
        var bot = state.Definition;
        var redacted = bot.Config;
        if (_plugins.TryGetValue(bot.AdapterPlugin, out var plugin) && plugin.Manifest.Components.Adapters.FirstOrDefault(a => a.Platform == bot.Platform) is { } adapter)
        {
            redacted = JsonSerializer.SerializeToElement(ConfigValidator.Redact(adapter.Config, JsonNode.Parse(bot.Config.GetRawText())), RuntimeJsonContext.Default.JsonObject);
        }

        return new BotStatus(bot.Id, bot.Name, bot.AdapterPlugin, bot.Platform, bot.Enabled, state.State, state.LastError, bot.Routes ?? [], redacted);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex BotIdPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?$")]
    private static partial Regex RoutePatternRegex();

    /// <summary>A bot and what the runtime knows about it.</summary>
    private sealed class BotState(BotDefinition definition)
    {
        public BotDefinition Definition { get; } = definition;

        public string State { get; private set; } = "Stopped";

        public string? LastError { get; private set; }

        public Queue<BotEventRecord> Recent { get; } = new();

        public void Set(string state, string? error)
        {
            State = state;
            LastError = error;
        }
    }
}
