using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk.Hosting;
using Plugboard.Sdk.Logging;
using Plugboard.Sdk.Schema;

namespace Plugboard.Sdk;

/// <summary>
/// Builds a <see cref="PluginApp"/>: register services, listeners, tools and commands, adjust <see cref="Options"/>
/// and logging, then <see cref="Build"/>. Registration mistakes (duplicate names, bad tool argument types, missing
/// services) fail at <see cref="Build"/> with a message that names the component.
/// </summary>
public sealed class PluginAppBuilder
{
    /// <summary>The environment variable that sets the minimum log level (a <see cref="LogLevel"/> name). Default: Information.</summary>
    public const string LogLevelVariable = "PLUGBOARD_LOG_LEVEL";

    private readonly List<ListenerRegistration> _listeners = [];
    private readonly List<ToolRegistration> _tools = [];
    private readonly List<CommandRegistration> _commands = [];
    private readonly List<Func<IPluginRuntime, CancellationToken, ValueTask>> _onInitialized = [];
    private ConfigurationManager? _configuration;
    private bool _built;

    internal PluginAppBuilder(string[] args)
    {
        Args = args;
        Services = new ServiceCollection();
        Logging = new PluginLoggingBuilder(Services);
        Services.AddLogging();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, JsonLinesLoggerProvider>(_ => new JsonLinesLoggerProvider(StandardStreams.Error)));
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable(LogLevelVariable), ignoreCase: true, out var parsed) ? parsed : LogLevel.Information;
        Logging.SetMinimumLevel(level);

        // Built on first use: a plugin that never reads configuration does not pay for it at start.
        Services.AddSingleton<IConfiguration>(_ => Configuration);
    }

    /// <summary>The command-line arguments the builder was created with.</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>The app's services; handlers registered through DI are resolved from here, one scope per call.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Logging configuration. Entries go to stderr as JSON lines (see docs/sdk.md); stdout is reserved for the protocol.</summary>
    public ILoggingBuilder Logging { get; }

    /// <summary>
    /// Configuration from environment variables and the command line (<c>--key=value</c>), also registered as
    /// <see cref="IConfiguration"/>. The plugin's runtime configuration comes from <see cref="IPluginRuntime.GetConfigAsync"/>.
    /// </summary>
    public ConfigurationManager Configuration => _configuration ??= CreateConfiguration(Args);

    /// <summary>The app's settings.</summary>
    public PluginAppOptions Options { get; } = new();

    /// <summary>Registers a listener with a delegate handler.</summary>
    /// <param name="name">The listener name, unique within the plugin (as declared in the manifest's <c>components.listeners</c>).</param>
    /// <param name="events">Event patterns: exact (<c>message.received</c>), prefix (<c>message.*</c>) or <c>*</c>.</param>
    /// <param name="priority">Higher runs first, across all plugins.</param>
    /// <param name="handler">The handler.</param>
    public PluginAppBuilder AddListener(string name, IReadOnlyList<string> events, int priority, Func<EventContext, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddListenerCore(new ListenerRegistration(name, ValidateEvents(name, events), priority, handler, null));
    }

    /// <summary>Registers a listener resolved from DI (registered as transient unless already registered).</summary>
    public PluginAppBuilder AddListener<TListener>(string name, IReadOnlyList<string> events, int priority = 0)
        where TListener : class, IEventListener
    {
        Services.TryAddTransient<TListener>();
        return AddListenerCore(new ListenerRegistration(name, ValidateEvents(name, events), priority,
            context => context.Services.GetRequiredService<TListener>().HandleAsync(context), typeof(TListener)));
    }

    /// <summary>Registers a tool with a delegate handler; its parameter schema is generated from <typeparamref name="TArgs"/>.</summary>
    /// <param name="name">The tool name, unique within the plugin (as declared in the manifest's <c>components.tools</c>).</param>
    /// <param name="description">What the tool does, for models and users.</param>
    /// <param name="handler">The handler.</param>
    public PluginAppBuilder AddTool<TArgs, TResult>(string name, string? description, Func<TArgs, ToolContext, ValueTask<TResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddToolCore(ToolRegistration.Create(name, description, handler, null));
    }

    /// <summary>
    /// Registers a tool resolved from DI (registered as transient unless already registered). <typeparamref name="TTool"/>
    /// implements <see cref="ITool{TArgs, TResult}"/> exactly once; the description defaults to its
    /// <see cref="DescriptionAttribute"/>.
    /// </summary>
    public PluginAppBuilder AddTool<TTool>(string name, string? description = null)
        where TTool : class
    {
        var toolInterfaces = typeof(TTool).GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ITool<,>)).ToArray();
        if (toolInterfaces.Length != 1)
        {
            throw new ArgumentException($"{typeof(TTool).FullName} must implement ITool<TArgs, TResult> exactly once to be registered as tool '{name}' (it implements it {toolInterfaces.Length} times).", nameof(TTool));
        }

        var arguments = toolInterfaces[0].GetGenericArguments();
        var register = typeof(PluginAppBuilder).GetMethod(nameof(AddDiTool), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(typeof(TTool), arguments[0], arguments[1]);
        description ??= typeof(TTool).GetCustomAttribute<DescriptionAttribute>()?.Description;
        return (PluginAppBuilder)register.Invoke(this, [name, description])!;
    }

    /// <summary>Registers a command with a delegate handler that returns the exit code.</summary>
    /// <param name="name">The command name (as declared in the manifest's <c>components.commands</c>).</param>
    /// <param name="handler">The handler; write output with <see cref="CommandContext.WriteAsync"/>.</param>
    /// <param name="aliases">Other names the command answers to.</param>
    /// <param name="usage">A usage line, e.g. <c>weather &lt;city&gt;</c>.</param>
    /// <param name="description">What the command does.</param>
    public PluginAppBuilder AddCommand(string name, Func<CommandContext, ValueTask<int>> handler, IReadOnlyList<string>? aliases = null, string? usage = null, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddCommandCore(new CommandRegistration(name, aliases ?? [], usage, description, handler, null));
    }

    /// <summary>Registers a command resolved from DI (registered as transient unless already registered).</summary>
    public PluginAppBuilder AddCommand<TCommand>(string name, IReadOnlyList<string>? aliases = null, string? usage = null, string? description = null)
        where TCommand : class, ICommand
    {
        Services.TryAddTransient<TCommand>();
        description ??= typeof(TCommand).GetCustomAttribute<DescriptionAttribute>()?.Description;
        return AddCommandCore(new CommandRegistration(name, aliases ?? [], usage, description,
            context => context.Services.GetRequiredService<TCommand>().ExecuteAsync(context), typeof(TCommand)));
    }

    /// <summary>
    /// Runs <paramref name="callback"/> once the handshake is complete (after the runtime's <c>initialized</c>), e.g. to
    /// start an adapter's connection. Its token fires when the plugin stops.
    /// </summary>
    public PluginAppBuilder OnInitialized(Func<IPluginRuntime, CancellationToken, ValueTask> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ThrowIfBuilt();
        _onInitialized.Add(callback);
        return this;
    }

    /// <summary>
    /// Builds the app: validates the options, generates the tool schemas, builds the service provider (validating that
    /// every handler's dependencies resolve) and checks the registrations against <c>plugin.json</c>, logging a warning
    /// for each difference.
    /// </summary>
    public PluginApp Build()
    {
        ThrowIfBuilt();
        _built = true;
        Options.Validate();
        var serializer = Options.SerializerOptions;
        if (!serializer.IsReadOnly)
        {
            serializer.MakeReadOnly(populateMissingResolver: true);
        }

        var schemas = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var tool in _tools)
        {
            try
            {
                schemas[tool.Name] = ToolSchemaGenerator.Generate(tool.ArgumentsType, serializer);
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
            {
                throw new InvalidOperationException($"Cannot generate the parameter schema of tool '{tool.Name}' from {tool.ArgumentsType.FullName}: {ex.Message}", ex);
            }
        }

        var runtime = new PluginRuntimeClient(serializer);
        Services.AddSingleton<IPluginRuntime>(runtime);
        Services.AddSingleton(Options);
        var services = Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Plugboard.Sdk");

        var manifest = LoadManifest(logger);
        if (manifest is not null)
        {
            foreach (var finding in ManifestConsistency.Compare(manifest, schemas, _listeners.Select(l => (l.Name, new ListenerSignature(l.Events, l.Priority))), _commands.Select(c => c.Name)))
            {
                logger.ManifestMismatch(finding.Kind, finding.Name, finding.Problem);
            }

            if (Options.PluginId is { } configured && manifest.Id is { } declared && configured != declared)
            {
                logger.PluginIdDiffersFromManifest(configured, declared, manifest.Path);
            }
        }

        var pluginId = Options.PluginId ?? manifest?.Id ?? NullIfEmpty(Environment.GetEnvironmentVariable(PluginEnvironment.PluginId));
        var capabilities = new PluginCapabilities(
            _listeners.Select(l => l.ToDescriptor()).ToArray(),
            _tools.Select(t => new ToolDescriptor(t.Name, t.Description, schemas[t.Name])).ToArray(),
            _commands.Select(c => c.ToDescriptor()).ToArray());
        return new PluginApp(services, Options, runtime, capabilities, pluginId, [.. _listeners], [.. _tools], [.. _commands], [.. _onInitialized], logger);
    }

    private PluginAppBuilder AddDiTool<TTool, TArgs, TResult>(string name, string? description)
        where TTool : class
    {
        Services.TryAddTransient<TTool>();
        return AddToolCore(ToolRegistration.Create<TArgs, TResult>(name, description,
            (arguments, context) => ((ITool<TArgs, TResult>)context.Services.GetRequiredService<TTool>()).InvokeAsync(arguments, context), typeof(TTool)));
    }

    private PluginAppBuilder AddListenerCore(ListenerRegistration registration)
    {
        ThrowIfBuilt();
        ValidateName("listener", registration.Name);
        if (_listeners.Find(l => l.Name == registration.Name) is { } existing)
        {
            return IsSameRegistration(existing.HandlerType, registration.HandlerType) && existing.Priority == registration.Priority && existing.Events.SequenceEqual(registration.Events)
                ? this
                : throw new InvalidOperationException($"A listener named '{registration.Name}' is already registered; listener names must be unique within a plugin.");
        }

        _listeners.Add(registration);
        return this;
    }

    private PluginAppBuilder AddToolCore(ToolRegistration registration)
    {
        ThrowIfBuilt();
        if (!IsToolName(registration.Name))
        {
            throw new ArgumentException($"The tool name \"{registration.Name}\" is invalid: use 1-64 letters, digits, '_' or '-' (the names language-model tool APIs accept).", nameof(registration));
        }

        if (_tools.Find(t => string.Equals(t.Name, registration.Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
        {
            return IsSameRegistration(existing.HandlerType, registration.HandlerType)
                ? this
                : throw new InvalidOperationException($"A tool named '{existing.Name}' is already registered; tool names must be unique within a plugin, ignoring case.");
        }

        _tools.Add(registration);
        return this;
    }

    private PluginAppBuilder AddCommandCore(CommandRegistration registration)
    {
        ThrowIfBuilt();
        foreach (var name in registration.Aliases.Prepend(registration.Name))
        {
            if (!IsCommandName(name))
            {
                throw new ArgumentException($"The command name or alias \"{name}\" of command '{registration.Name}' is invalid: use 1-64 characters without whitespace, not starting with '/'.", nameof(registration));
            }
        }

        if (_commands.Find(c => c.Name == registration.Name) is { } existing && IsSameRegistration(existing.HandlerType, registration.HandlerType))
        {
            return this;
        }

        var names = registration.Aliases.Prepend(registration.Name).ToList();
        foreach (var command in _commands)
        {
            var clash = command.Aliases.Prepend(command.Name).FirstOrDefault(n => names.Contains(n, StringComparer.OrdinalIgnoreCase));
            if (clash is not null)
            {
                throw new InvalidOperationException($"The command name or alias '{clash}' of command '{registration.Name}' is already used by command '{command.Name}' (names and aliases are unique within a plugin, ignoring case).");
            }
        }

        if (names.Count != names.Distinct(StringComparer.OrdinalIgnoreCase).Count())
        {
            throw new InvalidOperationException($"Command '{registration.Name}' lists the same name or alias twice.");
        }

        _commands.Add(registration);
        return this;
    }

    private static bool IsSameRegistration(Type? existing, Type? added) => existing is not null && existing == added;

    private static IReadOnlyList<string> ValidateEvents(string name, IReadOnlyList<string> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0 || events.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"Listener '{name}' needs at least one non-empty event pattern (\"message.received\", \"message.*\" or \"*\").", nameof(events));
        }

        return [.. events];
    }

    private static void ValidateName(string kind, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"The {kind} name \"{name}\" is invalid: use a non-empty name without whitespace.", nameof(name));
        }
    }

    private PluginManifestInfo? LoadManifest(ILogger logger)
    {
        var path = PluginManifestInfo.Locate(Options.ManifestPath);
        if (path is null)
        {
            logger.ManifestNotFound(AppContext.BaseDirectory, Directory.GetCurrentDirectory());
            return null;
        }

        try
        {
            return PluginManifestInfo.Load(path);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            logger.ManifestUnreadable(path, ex.Message);
            return null;
        }
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("The PluginApp has already been built; register everything before calling Build().");
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static ConfigurationManager CreateConfiguration(IReadOnlyList<string> args)
    {
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine([.. args]);
        return configuration;
    }

    /// <summary>1-64 letters, digits, '_' or '-' (the manifest schema's rule, which language-model tool APIs share).</summary>
    private static bool IsToolName(string? name)
        => name is { Length: >= 1 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>1-64 characters without whitespace, not starting with '/' (the manifest schema's rule).</summary>
    private static bool IsCommandName(string? name)
        => name is { Length: >= 1 and <= 64 } && name[0] != '/' && !name.Any(char.IsWhiteSpace);
}
