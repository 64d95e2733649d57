using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Protocol.TestServer;

/// <summary>The test method contract (tests/interop/node/README.md), registered on any connection.</summary>
public sealed class TestMethods
{
    private readonly ConcurrentQueue<ReceivedNotification> _notifications = new();
    private int _cancelled;

    public static JsonRpcConnectionOptions CreateOptions(DispatchMode mode = DispatchMode.Concurrent)
    {
        var options = new JsonRpcConnectionOptions { DispatchMode = mode };
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, TestJsonContext.Default);
        return options;
    }

    public void Register(JsonRpcConnection connection)
    {
        connection.AddMethod<SubtractParams, int>("subtract", p => p.Minuend - p.Subtrahend);
        connection.AddMethod<double[], double>("sum", p => p.Sum());
        connection.AddMethod<JsonElement, object[]>("get_data", _ => ["hello", 5]);
        connection.AddMethod<EchoParams, JsonElement>("echo", p => p.Value);
        connection.AddMethod<JsonElement, ReceivedNotification[]>("get_notifications", _ => [.. _notifications]);
        connection.AddMethod<JsonElement, int>("get_cancelled", _ => Volatile.Read(ref _cancelled));
        connection.AddMethod<SlowParams, string>("slow", async (p, context) =>
        {
            try
            {
                await Task.Delay(p.Milliseconds, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            return "done";
        });
        connection.AddMethod<ProgressParams, int>("progress", async (p, context) =>
        {
            for (var i = 1; i <= p.Count; i++)
            {
                await context.ReportProgressAsync(p.ProgressToken, i);
            }

            return p.Count;
        });
        connection.AddMethod<FailParams, JsonElement>("fail", p =>
            throw JsonRpcException.WithData(p.Code, p.Message, ("detail", "requested failure")));
        connection.AddStreamingMethod<CountParams, int>("count", (p, context) => CountAsync(p, context.CancellationToken));
        foreach (var name in new[] { "update", "notify_hello", "notify_sum" })
        {
            connection.AddNotification<JsonElement>(name, (p, _) =>
            {
                _notifications.Enqueue(new ReceivedNotification(name, p));
                return ValueTask.CompletedTask;
            });
        }
    }

    private static async IAsyncEnumerable<int> CountAsync(CountParams p, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 1; i <= p.Count; i++)
        {
            if (p.DelayMilliseconds > 0)
            {
                await Task.Delay(p.DelayMilliseconds, cancellationToken);
            }

            yield return i;
        }
    }
}

public sealed record SubtractParams(int Minuend, int Subtrahend);

public sealed record EchoParams(JsonElement Value);

public sealed record SlowParams(int Milliseconds);

public sealed record ProgressParams(int Count, ProgressToken ProgressToken);

public sealed record FailParams(int Code, string Message);

public sealed record CountParams(int Count, int DelayMilliseconds = 0);

public sealed record ReceivedNotification(string Method, JsonElement Params);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SubtractParams))]
[JsonSerializable(typeof(EchoParams))]
[JsonSerializable(typeof(SlowParams))]
[JsonSerializable(typeof(ProgressParams))]
[JsonSerializable(typeof(FailParams))]
[JsonSerializable(typeof(CountParams))]
[JsonSerializable(typeof(ReceivedNotification[]))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(double[]))]
[JsonSerializable(typeof(object[]))]
public sealed partial class TestJsonContext : JsonSerializerContext;
