using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Transports;

namespace Plugboard.Protocol.JsonRpc;

/// <summary>The reader loop: framing → parse → validate → dispatch.</summary>
public sealed partial class JsonRpcConnection
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128 };

    private async Task ReadLoopAsync()
    {
        var reason = DisconnectReason.RemoteClosed;
        var description = "The peer closed the connection.";
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await _transport.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                if (read.Status == TransportReadStatus.EndOfStream)
                {
                    if (_outputCompleted)
                    {
                        reason = DisconnectReason.LocalDispose;
                        description = "The connection was closed by this side.";
                    }

                    break;
                }

                if (read.Status == TransportReadStatus.Oversized)
                {
                    _logger.MessageTooLarge(read.DeclaredLength, _transport.MaxMessageSize);
                    var tooLarge = JsonRpcException.WithData(
                        JsonRpcErrorCodes.MessageTooLarge,
                        $"A message of {read.DeclaredLength} bytes exceeds the limit of {_transport.MaxMessageSize} bytes and was discarded.",
                        ("size", read.DeclaredLength.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        ("limit", _transport.MaxMessageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    await SendOrCollectAsync(SerializeError(ReadIdFromPrefix(read.Prefix.Span), tooLarge), null).ConfigureAwait(false);
                    continue;
                }

                var reply = ProcessMessage(read.Message);
                _transport.AdvanceMessage();
                if (reply is not null)
                {
                    // Errors the reader answers itself are awaited, so a peer flooding bad input is slowed to our pace.
                    await SendOrCollectAsync(reply, null).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            reason = DisconnectReason.LocalDispose;
            description = "The connection was closed by this side.";
        }
        catch (JsonRpcFramingException ex)
        {
            reason = DisconnectReason.ProtocolViolation;
            description = ex.Message;
            error = ex;
        }
        catch (Exception ex)
        {
            reason = IsDisconnected ? DisconnectReason.LocalDispose : DisconnectReason.TransportError;
            description = $"Reading from the transport failed: {ex.Message}";
            error = ex;
        }

        Terminate(reason, description, error);
        await DisposeTransportAsync().ConfigureAwait(false);
    }

    /// <summary>Handles one framed message; returns an error response the reader must send, if any.</summary>
    private PooledBufferWriter? ProcessMessage(ReadOnlySequence<byte> message)
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            _logger.MessageReceived(Encoding.UTF8.GetString(message));
        }

        // A multi-segment message is copied once into a contiguous buffer (JsonDocument.Parse would copy it anyway),
        // so it can be checked for valid UTF-8 before parsing: System.Text.Json does not validate the UTF-8 inside
        // strings, and GetString() on such a string throws InvalidOperationException later.
        byte[]? rented = null;
        var json = message.First;
        if (!message.IsSingleSegment)
        {
            rented = ArrayPool<byte>.Shared.Rent((int)message.Length);
            message.CopyTo(rented);
            json = rented.AsMemory(0, (int)message.Length);
        }

        try
        {
            return ProcessJson(json);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Parses and handles one message held in contiguous memory that stays valid for the duration of the call.</summary>
    private PooledBufferWriter? ProcessJson(ReadOnlyMemory<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            const string Detail = "The message is not valid UTF-8.";
            _logger.ParseError(json.Length, Detail);
            return SerializeError(RequestId.Null, JsonRpcException.WithData(JsonRpcErrorCodes.ParseError, $"Parse error: {Detail} JSON-RPC messages must be UTF-8 encoded JSON.", ("detail", Detail)));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            _logger.ParseError(json.Length, ex.Message);
            return SerializeError(RequestId.Null, JsonRpcException.WithData(JsonRpcErrorCodes.ParseError, $"Parse error: {ex.Message}", ("detail", ex.Message)));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return ProcessSingleGuarded(root, null);
            }

            if (root.GetArrayLength() == 0)
            {
                _logger.InvalidRequest("empty batch");
                return SerializeError(RequestId.Null, new JsonRpcException(JsonRpcErrorCodes.InvalidRequest, "Invalid Request: an empty batch."));
            }

            var batch = new BatchCollector();
            foreach (var element in root.EnumerateArray())
            {
                var immediate = ProcessSingleGuarded(element, batch);
                if (immediate is not null)
                {
                    batch.Expect();
                    batch.Add(immediate);
                }
            }

            // Release the guard count; if every response is already in (or there are none), the batch completes here.
            return batch.Add(null);
        }
    }

    /// <summary>
    /// System.Text.Json parses an escaped unpaired surrogate (<c>"\ud800"</c>) but throws InvalidOperationException when
    /// such a string is read or compared (GetString, TryGetProperty); a message holding one is answered as unparseable.
    /// Nothing is registered or scheduled before those reads, so no state is left behind.
    /// </summary>
    private PooledBufferWriter? ProcessSingleGuarded(JsonElement message, BatchCollector? batch)
    {
        try
        {
            return ProcessSingle(message, batch);
        }
        catch (InvalidOperationException ex)
        {
            _logger.ParseError(message.GetRawText().Length, ex.Message);
            return SerializeError(RequestId.Null, JsonRpcException.WithData(JsonRpcErrorCodes.ParseError, $"Parse error: {ex.Message}", ("detail", ex.Message)));
        }
    }

    /// <summary>Handles one request, notification or response; returns an immediate error response, if any.</summary>
    private PooledBufferWriter? ProcessSingle(JsonElement message, BatchCollector? batch)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return InvalidRequest(RequestId.Null, $"expected a JSON object, got {message.ValueKind}");
        }

        var hasId = message.TryGetProperty("id"u8, out var idElement);
        var id = RequestId.Null;
        var idValid = hasId && RequestId.TryParse(idElement, out id);
        if (!message.TryGetProperty("jsonrpc"u8, out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
        {
            return InvalidRequest(idValid ? id : RequestId.Null, "the \"jsonrpc\" member must be exactly \"2.0\"");
        }

        if (hasId && !idValid)
        {
            return InvalidRequest(RequestId.Null, "the \"id\" member must be a string, a number or null");
        }

        if (!message.TryGetProperty("method"u8, out var methodElement))
        {
            var hasResult = message.TryGetProperty("result"u8, out var result);
            var hasError = message.TryGetProperty("error"u8, out var errorElement);
            if (hasId && hasResult != hasError)
            {
                ProcessResponse(id, hasResult ? result : null, hasError ? errorElement : null);
                return null;
            }

            return InvalidRequest(idValid ? id : RequestId.Null, "a request needs a \"method\"; a response needs an \"id\" and exactly one of \"result\" and \"error\"");
        }

        if (methodElement.ValueKind != JsonValueKind.String)
        {
            return InvalidRequest(id, "the \"method\" member must be a string");
        }

        JsonElement? parameters = null;
        if (message.TryGetProperty("params"u8, out var paramsElement))
        {
            if (paramsElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                return hasId ? InvalidRequest(id, "the \"params\" member must be an object or an array") : null;
            }

            parameters = paramsElement;
        }

        var method = methodElement.GetString()!;
        if (!hasId)
        {
            ProcessNotification(method, parameters);
            return null;
        }

        return ProcessRequest(method, id, parameters, batch);
    }

    private PooledBufferWriter? ProcessRequest(string method, RequestId id, JsonElement? parameters, BatchCollector? batch)
    {
        if (!_handlers.TryGetValue(method, out var handler))
        {
            return SerializeError(id, JsonRpcException.WithData(JsonRpcErrorCodes.MethodNotFound, $"Method not found: '{method}'.", ("method", method)));
        }

        if (_closing)
        {
            return SerializeError(id, new JsonRpcException(JsonRpcErrorCodes.ShuttingDown, $"The connection is shutting down; '{method}' was not run."));
        }

        if (Interlocked.Increment(ref _inboundCount) > _options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inboundCount);
            _logger.TooManyRequests(method, _options.MaxConcurrentRequests);
            return SerializeError(id, new JsonRpcException(JsonRpcErrorCodes.TooManyRequests, $"Too many requests in flight (limit {_options.MaxConcurrentRequests}); retry '{method}' later."));
        }

        var call = handler.Bind(this, method, id, parameters, batch, out var error);
        if (call is null)
        {
            Interlocked.Decrement(ref _inboundCount);
            return SerializeError(id, error!);
        }

        batch?.Expect();
        _inbound.TryAdd(id, call);
        Schedule(call);
        return null;
    }

    private void ProcessNotification(string method, JsonElement? parameters)
    {
        switch (method)
        {
            case CancelRequestMethod:
                if (parameters is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("id"u8, out var idElement)
                    && RequestId.TryParse(idElement, out var id) && _inbound.TryGetValue(id, out var call))
                {
                    try
                    {
                        call.Cancellation?.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The request completed meanwhile.
                    }
                }

                return;
            case ProgressMethod:
                DeliverProgress(parameters);
                return;
        }

        if (!_handlers.TryGetValue(method, out var handler))
        {
            _logger.UnknownNotification(method);
            return;
        }

        var work = handler.Bind(this, method, null, parameters, null, out var error);
        if (work is null)
        {
            _logger.NotificationFailed(method, error!.Message);
            return;
        }

        Schedule(work);
    }

    private void DeliverProgress(JsonElement? parameters)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty("token"u8, out var tokenElement) || !p.TryGetProperty("value"u8, out var value))
        {
            _logger.NotificationFailed(ProgressMethod, "expected params {\"token\": ..., \"value\": ...}");
            return;
        }

        ProgressToken token;
        try
        {
            token = tokenElement.Deserialize(ProtocolJsonContext.Default.ProgressToken);
        }
        catch (JsonException ex)
        {
            _logger.NotificationFailed(ProgressMethod, ex.Message);
            return;
        }

        if (!_progress.TryGetValue(token, out var sink))
        {
            _logger.UnknownProgressToken(token.Value);
            return;
        }

        try
        {
            sink.Report(value);
        }
        catch (Exception ex)
        {
            _logger.NotificationFailed(ProgressMethod, ex.Message);
        }
    }

    private void ProcessResponse(RequestId id, JsonElement? result, JsonElement? error)
    {
        if (id.Number is not { } number || !_pending.TryRemove(number, out var call))
        {
            _logger.UnexpectedResponse(id.ToString());
            return;
        }

        if (result is { } value)
        {
            call.SetResult(value);
            return;
        }

        call.SetException(ReadError(error!.Value));
    }

    private static JsonRpcException ReadError(JsonElement error)
    {
        // The pending call is already removed: reading the error must not throw, or the caller would wait forever.
        try
        {
            return ReadErrorCore(error);
        }
        catch (InvalidOperationException ex)
        {
            return new JsonRpcException(JsonRpcErrorCodes.InternalError, $"The peer sent an unreadable error object ({ex.Message}): {Truncate(error.GetRawText())}");
        }
    }

    private static JsonRpcException ReadErrorCore(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object
            || !error.TryGetProperty("code"u8, out var codeElement)
            || !codeElement.TryGetInt32(out var code))
        {
            return new JsonRpcException(JsonRpcErrorCodes.InternalError, $"The peer sent a malformed error object: {Truncate(error.GetRawText())}");
        }

        var message = error.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "(no message)";
        JsonElement? data = error.TryGetProperty("data"u8, out var d) ? d.Clone() : null;
        return new JsonRpcException(code, message, data);
    }

    private PooledBufferWriter InvalidRequest(RequestId id, string detail)
    {
        _logger.InvalidRequest(detail);
        return SerializeError(id, JsonRpcException.WithData(JsonRpcErrorCodes.InvalidRequest, $"Invalid Request: {detail}.", ("detail", detail)));
    }

    private void Schedule(InboundCall call)
    {
        if (_orderedQueue is not null)
        {
            _orderedQueue.Writer.TryWrite(call);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(call, preferLocal: false);
        }
    }

    /// <summary>
    /// Finds a top-level <c>"id"</c> in the first bytes of an oversized message, so the caller's pending call fails
    /// with -32002 instead of waiting forever. Returns the null id when the prefix does not reveal one.
    /// </summary>
    internal static RequestId ReadIdFromPrefix(ReadOnlySpan<byte> prefix)
    {
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return RequestId.Null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read())
                {
                    return RequestId.Null;
                }

                if (isId)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.Number when reader.TryGetInt64(out var number) => new RequestId(number),
                        JsonTokenType.String => new RequestId(reader.GetString()!),
                        _ => RequestId.Null,
                    };
                }

                if (!reader.TrySkip())
                {
                    return RequestId.Null;
                }
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        return RequestId.Null;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "...");
}
