using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Plugboard.Cli.Control;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Cli;

/// <summary>Source-generated serialization of the control endpoint's messages and the CLI's files (states as strings).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(RuntimeInfoResult))]
[JsonSerializable(typeof(PluginIdParams))]
[JsonSerializable(typeof(PluginLogsParams))]
[JsonSerializable(typeof(PluginInstallParams))]
[JsonSerializable(typeof(PluginWaitParams))]
[JsonSerializable(typeof(ToolInvokeRequest))]
[JsonSerializable(typeof(CommandExecuteRequest))]
[JsonSerializable(typeof(EventDispatchRequest))]
[JsonSerializable(typeof(SubscribeParams))]
[JsonSerializable(typeof(SubscribeResult))]
[JsonSerializable(typeof(UnsubscribeParams))]
[JsonSerializable(typeof(PluginStateChangedNotification))]
[JsonSerializable(typeof(PluginLogNotification))]
[JsonSerializable(typeof(EndpointError))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(RuntimeInfoFile))]
[JsonSerializable(typeof(PluginStatus))]
[JsonSerializable(typeof(PluginStatus[]))]
[JsonSerializable(typeof(ToolInfo[]))]
[JsonSerializable(typeof(EventDispatchOutcome))]
[JsonSerializable(typeof(CommandExecuteResult))]
[JsonSerializable(typeof(DebugSessionInfo[]))]
[JsonSerializable(typeof(PluginInstallProgress))]
[JsonSerializable(typeof(Empty))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>Serializer settings for control connections: this context first, then the engine's defaults.</summary>
    public static JsonRpcConnectionOptions CreateConnectionOptions(int maxMessageSize, int maxConcurrentRequests)
    {
        var serializer = JsonRpcConnectionOptions.CreateDefaultSerializerOptions();
        serializer.TypeInfoResolver = JsonTypeInfoResolver.Combine(Default, serializer.TypeInfoResolver);
        return new JsonRpcConnectionOptions
        {
            SerializerOptions = serializer,
            MaxMessageSize = maxMessageSize,
            MaxConcurrentRequests = maxConcurrentRequests,
        };
    }

    /// <summary>Indented output for people.</summary>
    public static JsonSerializerOptions Indented => IndentedHolder.Options;

    private static class IndentedHolder
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            TypeInfoResolver = Default,
        };
    }
}
