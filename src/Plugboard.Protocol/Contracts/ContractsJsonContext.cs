using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Protocol.Contracts;

/// <summary>Source-generated serialization metadata for the plugin protocol contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InitializeParams))]
[JsonSerializable(typeof(InitializeResult))]
[JsonSerializable(typeof(EventDispatchParams))]
[JsonSerializable(typeof(EventDispatchResult))]
[JsonSerializable(typeof(ToolInvokeParams))]
[JsonSerializable(typeof(CommandExecuteParams))]
[JsonSerializable(typeof(CommandExecuteResult))]
[JsonSerializable(typeof(StorageKeyParams))]
[JsonSerializable(typeof(StorageGetResult))]
[JsonSerializable(typeof(StorageSetParams))]
[JsonSerializable(typeof(StorageCompareAndSetParams))]
[JsonSerializable(typeof(StorageWriteResult))]
[JsonSerializable(typeof(StorageListParams))]
[JsonSerializable(typeof(ToolCallParams))]
[JsonSerializable(typeof(ToolInfo[]))]
[JsonSerializable(typeof(PluginSummary[]))]
[JsonSerializable(typeof(EventEmitParams))]
[JsonSerializable(typeof(Empty))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
