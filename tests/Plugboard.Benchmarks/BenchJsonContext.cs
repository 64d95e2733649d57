using System.Text.Json;
using System.Text.Json.Serialization;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Benchmarks;

/// <summary>Parameters of <c>echo</c>: <c>{"value": ...}</c>.</summary>
public sealed record EchoParams(string Value);

/// <summary>Source-generated contracts of the benchmark's messages.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EchoParams))]
[JsonSerializable(typeof(string))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
    /// <summary>Connection options whose serializer resolves the benchmark's types from generated code first.</summary>
    public static JsonRpcConnectionOptions CreateConnectionOptions()
    {
        var options = new JsonRpcConnectionOptions();
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, Default);
        return options;
    }
}
