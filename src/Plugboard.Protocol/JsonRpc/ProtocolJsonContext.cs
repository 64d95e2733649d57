using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>Parameters of <c>$/cancelRequest</c>.</summary>
internal sealed record CancelParams(JsonElement Id);

/// <summary>Parameters of an outgoing <c>$/cancelRequest</c>.</summary>
internal sealed record CancelRequestArgs(long Id);

/// <summary>Parameters of <c>$/progress</c>.</summary>
internal sealed record ProgressParams(JsonElement Token, JsonElement Value);

/// <summary>Parameters of <c>$/enumerator/next</c> and <c>$/enumerator/abort</c>.</summary>
internal sealed record EnumeratorParams(long Token);

/// <summary>A page of a streamed result: the first page is the method's result, later pages answer <c>$/enumerator/next</c>.</summary>
internal sealed record EnumeratorPage(long? Token, JsonElement Values, bool Finished);

/// <summary>Source-generated serialization metadata for the engine's own messages and common primitive types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CancelParams))]
[JsonSerializable(typeof(CancelRequestArgs))]
[JsonSerializable(typeof(ProgressParams))]
[JsonSerializable(typeof(EnumeratorParams))]
[JsonSerializable(typeof(EnumeratorPage))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(ProgressToken))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
