using System.Text.Json;
using System.Text.Json.Serialization;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Contracts;

/// <summary>Source-generated serialization metadata for the Box contracts.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BoxHelloParams))]
[JsonSerializable(typeof(BoxHelloResult))]
[JsonSerializable(typeof(BoxHealth))]
[JsonSerializable(typeof(BoxStatus))]
[JsonSerializable(typeof(BoxBackendInfo[]))]
[JsonSerializable(typeof(BoxSessionSpec))]
[JsonSerializable(typeof(BoxSessionInfo))]
[JsonSerializable(typeof(BoxSessionInfo[]))]
[JsonSerializable(typeof(BoxSessionRef))]
[JsonSerializable(typeof(BoxDeleteResult))]
[JsonSerializable(typeof(BoxExecParams))]
[JsonSerializable(typeof(BoxExecResult))]
[JsonSerializable(typeof(BoxProcessStartParams))]
[JsonSerializable(typeof(BoxProcessInfo))]
[JsonSerializable(typeof(BoxProcessInfo[]))]
[JsonSerializable(typeof(BoxProcessRef))]
[JsonSerializable(typeof(BoxFileReadParams))]
[JsonSerializable(typeof(BoxFileReadResult))]
[JsonSerializable(typeof(BoxFileWriteParams))]
[JsonSerializable(typeof(BoxFileWriteResult))]
[JsonSerializable(typeof(BoxEmpty))]
public sealed partial class BoxJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Connection options whose serializer resolves the Box contracts from this context first (then the protocol's
    /// contracts), so Box traffic needs no reflection.
    /// </summary>
    public static JsonRpcConnectionOptions CreateConnectionOptions()
    {
        var options = new JsonRpcConnectionOptions();
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, Default);
        return options;
    }
}
