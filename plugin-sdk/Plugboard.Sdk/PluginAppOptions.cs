using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Sdk;

/// <summary>Settings of a <see cref="PluginApp"/>, changed through <see cref="PluginAppBuilder.Options"/> before <see cref="PluginAppBuilder.Build"/>.</summary>
public sealed class PluginAppOptions
{
    /// <summary>
    /// The plugin id sent in the handshake and to the debug endpoint. Default: the manifest's <c>id</c>, else the
    /// <c>PLUGBOARD_PLUGIN_ID</c> environment variable, else the id the runtime sends in <c>initialize</c>.
    /// </summary>
    public string? PluginId { get; set; }

    /// <summary>
    /// The manifest the registrations are checked against. Default: <c>plugin.json</c> next to the app's assembly, else
    /// in the working directory; no check when neither exists.
    /// </summary>
    public string? ManifestPath { get; set; }

    /// <summary>
    /// The protocol versions this plugin speaks, newest first; the handshake picks the first one the runtime also
    /// speaks. Default: <see cref="ProtocolVersions.Supported"/>.
    /// </summary>
    public IList<string> ProtocolVersions { get; } = new List<string>(Protocol.Contracts.ProtocolVersions.Supported);

    /// <summary>How long running handlers may take to finish after <c>shutdown</c> or SIGTERM before they are cancelled. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for the debug WebSocket endpoint to accept the connection. Default 10 s.</summary>
    public TimeSpan DebugConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest message sent or received, in bytes. Default 16 MiB, the runtime's default limit.</summary>
    public int MaxMessageSize { get; set; } = JsonRpcConnectionOptions.DefaultMaxMessageSize;

    /// <summary>
    /// Serializer settings for tool arguments and results, event payloads and results, and typed runtime values; the
    /// tool parameter schemas are generated with them too. Default: <see cref="CreateDefaultSerializerOptions"/>. Put a
    /// source-generated <see cref="JsonSerializerContext"/> first in the resolver chain to avoid reflection.
    /// </summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = CreateDefaultSerializerOptions();

    /// <summary>
    /// Creates the default serializer settings: camelCase names, nulls omitted, strict numbers, nullable annotations
    /// and required constructor parameters respected (so generated schemas list them as required and missing
    /// arguments are rejected), enums as strings, and reflection-based metadata for types without a generated context.
    /// </summary>
    public static JsonSerializerOptions CreateDefaultSerializerOptions() => new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ContractsJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    internal void Validate()
    {
        if (ProtocolVersions.Count == 0)
        {
            throw new InvalidOperationException("PluginAppOptions.ProtocolVersions is empty; list at least one protocol version the plugin speaks (e.g. ProtocolVersions.Current).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"PluginAppOptions.ShutdownTimeout is {ShutdownTimeout}; it must not be negative.");
        }

        if (MaxMessageSize < 1024)
        {
            throw new InvalidOperationException($"PluginAppOptions.MaxMessageSize is {MaxMessageSize}; it must be at least 1024 bytes.");
        }

        if (SerializerOptions is null)
        {
            throw new InvalidOperationException("PluginAppOptions.SerializerOptions is null; keep the default or set your own JsonSerializerOptions.");
        }
    }
}
