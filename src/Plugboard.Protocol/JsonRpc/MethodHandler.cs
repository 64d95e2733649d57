using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>A registered method: binds raw parameters to a typed invocation.</summary>
internal abstract class MethodHandler
{
    /// <summary>
    /// Binds <paramref name="parameters"/> (still backed by the transport's buffer) into a work item that can run
    /// after the buffer is released. Returns <see langword="null"/> and an error when the parameters do not bind.
    /// </summary>
    public abstract InboundCall? Bind(JsonRpcConnection connection, string method, RequestId? id, JsonElement? parameters, BatchCollector? batch, out JsonRpcException? error);
}

/// <summary>A method with typed parameters and result.</summary>
internal sealed class MethodHandler<TParams, TResult> : MethodHandler
{
    private readonly JsonTypeInfo<TParams> _paramsInfo;
    private readonly JsonTypeInfo<TResult> _resultInfo;
    private readonly Func<TParams, JsonRpcRequestContext, ValueTask<TResult>> _handler;

    public MethodHandler(JsonSerializerOptions options, Func<TParams, JsonRpcRequestContext, ValueTask<TResult>> handler)
    {
        _paramsInfo = (JsonTypeInfo<TParams>)options.GetTypeInfo(typeof(TParams));
        _resultInfo = (JsonTypeInfo<TResult>)options.GetTypeInfo(typeof(TResult));
        _handler = handler;
    }

    public override InboundCall? Bind(JsonRpcConnection connection, string method, RequestId? id, JsonElement? parameters, BatchCollector? batch, out JsonRpcException? error)
    {
        if (!ParameterBinder.TryBind(parameters, _paramsInfo, out var value, out error))
        {
            return null;
        }

        return new InboundCall<TParams, TResult>(connection, method, id, batch, value!, _resultInfo, _handler);
    }
}

/// <summary>Turns by-position or by-name JSON parameters into a typed value.</summary>
internal static class ParameterBinder
{
    public static bool TryBind<T>(JsonElement? parameters, JsonTypeInfo<T> info, out T? value, out JsonRpcException? error)
    {
        error = null;
        try
        {
            if (parameters is not { } element)
            {
                value = info.Kind switch
                {
                    JsonTypeInfoKind.Object => JsonSerializer.Deserialize("{}"u8, info),
                    JsonTypeInfoKind.Enumerable => JsonSerializer.Deserialize("[]"u8, info),
                    _ => default,
                };
                return true;
            }

            if (element.ValueKind == JsonValueKind.Array && info.Kind == JsonTypeInfoKind.Object && info.Type != typeof(object))
            {
                return TryBindPositional(element, info, out value, out error);
            }

            if (element.ValueKind == JsonValueKind.Array && info.Kind == JsonTypeInfoKind.None && info.Type != typeof(JsonElement) && info.Type != typeof(object))
            {
                if (element.GetArrayLength() != 1)
                {
                    value = default;
                    error = new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"Invalid params: expected exactly one parameter, got {element.GetArrayLength()}.");
                    return false;
                }

                value = element[0].Deserialize(info);
                return true;
            }

            if (element.ValueKind == JsonValueKind.Object && info.Kind == JsonTypeInfoKind.Enumerable)
            {
                value = default;
                error = new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "Invalid params: this method takes its parameters by position (a JSON array), not by name.");
                return false;
            }

            value = element.Deserialize(info);
            return true;
        }
        catch (JsonException ex)
        {
            value = default;
            error = InvalidParams(ex);
            return false;
        }
    }

    private static bool TryBindPositional<T>(JsonElement array, JsonTypeInfo<T> info, out T? value, out JsonRpcException? error)
    {
        var properties = info.Properties;
        var count = array.GetArrayLength();
        if (count > properties.Count)
        {
            value = default;
            error = new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"Invalid params: expected at most {properties.Count} parameters by position, got {count}.");
            return false;
        }

        using var buffer = PooledBufferWriter.WriteJson((Array: array, Properties: properties), static (writer, s) =>
        {
            writer.WriteStartObject();
            var index = 0;
            foreach (var item in s.Array.EnumerateArray())
            {
                writer.WritePropertyName(s.Properties[index++].Name);
                item.WriteTo(writer);
            }

            writer.WriteEndObject();
        });

        value = JsonSerializer.Deserialize(buffer.WrittenMemory.Span, info);
        error = null;
        return true;
    }

    public static JsonRpcException InvalidParams(JsonException ex)
    {
        var detail = ex.Message;
        return ex.Path is { Length: > 0 } path
            ? JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Invalid params at {path}: {detail}", ("path", path), ("detail", detail))
            : JsonRpcException.WithData(JsonRpcErrorCodes.InvalidParams, $"Invalid params: {detail}", ("detail", detail));
    }
}
