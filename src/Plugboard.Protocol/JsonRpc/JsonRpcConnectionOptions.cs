using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>How a connection runs the requests and notifications it receives.</summary>
public enum DispatchMode
{
    /// <summary>Handlers run concurrently on the thread pool (the default).</summary>
    Concurrent,

    /// <summary>Handlers run one at a time, in arrival order. Responses and cancellations are still read meanwhile.</summary>
    Ordered,
}

/// <summary>Settings of a <see cref="JsonRpcConnection"/>. Every property has a documented default.</summary>
public sealed class JsonRpcConnectionOptions
{
    /// <summary>The default maximum message size: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>
    /// Serializer settings for parameters and results. Default: camelCase names, nulls omitted, and a resolver chain
    /// of Plugboard's source-generated contracts followed by reflection for types without generated metadata.
    /// Put your own <see cref="JsonSerializerContext"/> first in <see cref="JsonSerializerOptions.TypeInfoResolverChain"/>
    /// to keep hot paths free of reflection.
    /// </summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = CreateDefaultSerializerOptions();

    /// <summary>How received requests are dispatched. Default: <see cref="DispatchMode.Concurrent"/>.</summary>
    public DispatchMode DispatchMode { get; set; } = DispatchMode.Concurrent;

    /// <summary>
    /// The largest message, in bytes, sent or received. Default 16 MiB. Larger incoming messages are skipped and
    /// answered with <see cref="JsonRpcErrorCodes.MessageTooLarge"/>; larger outgoing ones fail the call locally.
    /// </summary>
    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>
    /// The most requests this side runs at once, and the most calls it has outstanding to the peer. Default 1024.
    /// Extra incoming requests are answered with <see cref="JsonRpcErrorCodes.TooManyRequests"/>; extra outgoing calls
    /// fail locally with the same code.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 1024;

    /// <summary>The timeout applied to calls that do not pass their own. Default: none (<see langword="null"/>).</summary>
    public TimeSpan? DefaultCallTimeout { get; set; }

    /// <summary>How many items a streamed result (<see cref="IAsyncEnumerable{T}"/>) sends per page. Default 64.</summary>
    public int StreamPageSize { get; set; } = 64;

    /// <summary>Creates the default serializer settings.</summary>
    public static JsonSerializerOptions CreateDefaultSerializerOptions() => new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ProtocolJsonContext.Default, Contracts.ContractsJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(SerializerOptions);
        if (MaxMessageSize < 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "MaxMessageSize must be at least 64 bytes.");
        }

        if (MaxConcurrentRequests < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be at least 1.");
        }

        if (StreamPageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(StreamPageSize), StreamPageSize, "StreamPageSize must be at least 1.");
        }
    }
}
