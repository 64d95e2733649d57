using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>
/// Streamed results: a method returning <see cref="IAsyncEnumerable{T}"/> answers with a first page
/// <c>{"token": n, "values": [...], "finished": false}</c>; the caller pulls more with <c>$/enumerator/next {"token": n}</c>
/// and stops early with <c>$/enumerator/abort {"token": n}</c>, the same shape as StreamJsonRpc's enumerator protocol.
/// </summary>
public sealed partial class JsonRpcConnection
{
    private const string EnumeratorNextMethod = "$/enumerator/next";
    private const string EnumeratorAbortMethod = "$/enumerator/abort";

    private readonly ConcurrentDictionary<long, ServerEnumerator> _enumerators = new();
    private long _nextEnumeratorToken;

    /// <summary>Registers a method whose result is streamed to the caller as it is produced.</summary>
    public void AddStreamingMethod<TParams, TItem>(string method, Func<TParams, JsonRpcRequestContext, IAsyncEnumerable<TItem>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var itemInfo = GetTypeInfo<TItem>();
        AddMethod<TParams, EnumeratorPage>(method, async (p, context) =>
        {
            var enumerator = new ServerEnumerator<TItem>(handler(p, context), itemInfo, _options.StreamPageSize, _lifetime.Token);
            var page = await enumerator.NextPageAsync(context.CancellationToken).ConfigureAwait(false);
            if (page.Finished)
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                return page;
            }

            var token = Interlocked.Increment(ref _nextEnumeratorToken);
            _enumerators[token] = enumerator;
            return page with { Token = token };
        });
    }

    /// <summary>Calls a streaming method and yields its items as pages arrive. Breaking out of the loop aborts the stream on the peer.</summary>
    public async IAsyncEnumerable<TItem> InvokeStreamAsync<TItem>(string method, object? parameters = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var itemInfo = GetTypeInfo<TItem>();
        var page = await InvokeAsync<EnumeratorPage>(method, parameters, cancellationToken).ConfigureAwait(false);

        // Only the first page carries the token; later pages ($/enumerator/next results) do not repeat it.
        var streamToken = page.Token;
        var finished = false;
        try
        {
            while (true)
            {
                if (page.Values.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in page.Values.EnumerateArray())
                    {
                        yield return item.Deserialize(itemInfo)!;
                    }
                }

                if (page.Finished || streamToken is null)
                {
                    finished = true;
                    yield break;
                }

                page = await InvokeAsync<EnumeratorPage>(EnumeratorNextMethod, new EnumeratorParams(streamToken.Value), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!finished && streamToken is { } token && !IsDisconnected)
            {
                await SendQuietlyAsync(EnumeratorAbortMethod, new EnumeratorParams(token)).ConfigureAwait(false);
            }
        }
    }

    private void RegisterEnumeratorMethods()
    {
        AddMethod<EnumeratorParams, EnumeratorPage>(EnumeratorNextMethod, async (p, context) =>
        {
            if (!_enumerators.TryGetValue(p.Token, out var enumerator))
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"Unknown or finished enumerator token {p.Token}.");
            }

            var page = await enumerator.NextPageAsync(context.CancellationToken).ConfigureAwait(false);
            if (page.Finished && _enumerators.TryRemove(p.Token, out _))
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            return page;
        });
        AddNotification<EnumeratorParams>(EnumeratorAbortMethod, async (p, _) =>
        {
            if (_enumerators.TryRemove(p.Token, out var enumerator))
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        });
    }

    private void DisposeEnumerators()
    {
        foreach (var token in _enumerators.Keys)
        {
            if (_enumerators.TryRemove(token, out var enumerator))
            {
                _ = enumerator.DisposeAsync().AsTask();
            }
        }
    }
}

/// <summary>The server side of one streamed result.</summary>
internal abstract class ServerEnumerator : IAsyncDisposable
{
    public abstract Task<EnumeratorPage> NextPageAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Pages a typed async sequence: waits for one item, then takes what is ready without waiting, up to a page.</summary>
internal sealed class ServerEnumerator<T> : ServerEnumerator
{
    private readonly IAsyncEnumerator<T> _enumerator;
    private readonly JsonTypeInfo<T> _info;
    private readonly int _pageSize;
    private readonly CancellationTokenSource _cancellation;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ValueTask<bool>? _pendingMove;

    public ServerEnumerator(IAsyncEnumerable<T> source, JsonTypeInfo<T> info, int pageSize, CancellationToken lifetime)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        _enumerator = source.GetAsyncEnumerator(_cancellation.Token);
        _info = info;
        _pageSize = pageSize;
    }

    public override async Task<EnumeratorPage> NextPageAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var buffer = new PooledBufferWriter();
            var count = 0;
            var finished = false;
            using (cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _cancellation))
            {
                while (count < _pageSize)
                {
                    var move = _pendingMove ?? _enumerator.MoveNextAsync();
                    _pendingMove = null;
                    if (count > 0 && !move.IsCompleted)
                    {
                        // Send what we have; the next page starts by awaiting this move.
                        _pendingMove = move;
                        break;
                    }

                    if (!await move.ConfigureAwait(false))
                    {
                        finished = true;
                        break;
                    }

                    AppendItem(buffer, count++, _enumerator.Current);
                }
            }

            buffer.WriteByte(count == 0 ? (byte)'[' : (byte)']');
            if (count == 0)
            {
                buffer.WriteByte((byte)']');
            }

            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            return new EnumeratorPage(null, document.RootElement.Clone(), finished);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync().ConfigureAwait(false);
        try
        {
            await _enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or NotSupportedException)
        {
            // A producer interrupted mid-move may refuse to dispose; its cancellation token has fired.
        }

        _cancellation.Dispose();
    }

    private void AppendItem(PooledBufferWriter buffer, int index, T item)
    {
        buffer.WriteByte(index == 0 ? (byte)'[' : (byte)',');
        var writer = buffer.RentJsonWriter();
        try
        {
            JsonSerializer.Serialize(writer, item, _info);
        }
        finally
        {
            PooledBufferWriter.ReturnJsonWriter(writer);
        }
    }
}
