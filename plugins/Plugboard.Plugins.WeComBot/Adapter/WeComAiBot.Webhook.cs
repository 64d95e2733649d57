using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.WeComBot.Crypto;
using Plugboard.Plugins.WeComBot.LongConnection;

namespace Plugboard.Plugins.WeComBot.Adapter;

/// <summary>A webhook request, as the HTTP host hands it over.</summary>
/// <param name="Method">GET (URL verification) or POST (callback).</param>
/// <param name="Query">The URL-decoded query parameters.</param>
/// <param name="Body">The request body.</param>
/// <param name="Remote">The caller's address, for logs.</param>
internal sealed record WebhookRequest(string Method, IReadOnlyDictionary<string, string> Query, string Body, string Remote);

/// <summary>The HTTP answer.</summary>
/// <param name="Status">The status code.</param>
/// <param name="ContentType">The content type.</param>
/// <param name="Body">The body.</param>
internal sealed record WebhookResponse(int Status, string ContentType, string Body)
{
    /// <summary>An empty 200 (WeCom's "nothing to say").</summary>
    public static WebhookResponse Empty { get; } = new(200, "text/plain; charset=utf-8", string.Empty);
}

/// <summary>Webhook mode: URL verification, signed and encrypted callbacks, and the stream-refresh protocol.</summary>
internal sealed partial class WeComAiBot
{
    /// <summary>Handles one webhook request.</summary>
    public async Task<WebhookResponse> HandleWebhookAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (_crypto is null)
        {
            return Reject(request, 404, "this bot runs in long-connection mode and takes no webhook callbacks");
        }

        var timestamp = request.Query.GetValueOrDefault("timestamp") ?? string.Empty;
        var nonce = request.Query.GetValueOrDefault("nonce") ?? string.Empty;
        var signature = request.Query.GetValueOrDefault("msg_signature");
        if (timestamp.Length == 0 || nonce.Length == 0 || string.IsNullOrEmpty(signature))
        {
            return Reject(request, 400, "msg_signature, timestamp and nonce are required");
        }

        if (request.Method == "GET")
        {
            var echo = request.Query.GetValueOrDefault("echostr") ?? string.Empty;
            try
            {
                // URL verification: answer the decrypted echostr as plain text.
                return new WebhookResponse(200, "text/plain; charset=utf-8", _crypto.VerifyAndDecrypt(signature, timestamp, nonce, echo));
            }
            catch (WeComCryptoException ex)
            {
                return Reject(request, ex.Error == WeComCryptoError.ValidateSignature ? 403 : 400, ex.Message);
            }
        }

        if (request.Method != "POST")
        {
            return Reject(request, 405, "only GET (URL verification) and POST (callbacks) are served");
        }

        JsonObject body;
        try
        {
            var envelope = JsonNode.Parse(request.Body) as JsonObject;
            var encrypt = WeComFrames.Text(envelope, "encrypt") ?? throw new WeComCryptoException(WeComCryptoError.ParseJson, "The body has no \"encrypt\" field.");
            body = JsonNode.Parse(_crypto.VerifyAndDecrypt(signature, timestamp, nonce, encrypt)) as JsonObject
                ?? throw new WeComCryptoException(WeComCryptoError.ParseJson, "The decrypted callback is not a JSON object.");
        }
        catch (JsonException ex)
        {
            return Reject(request, 400, "the body or the decrypted callback is not JSON: " + ex.Message);
        }
        catch (WeComCryptoException ex)
        {
            return Reject(request, ex.Error == WeComCryptoError.ValidateSignature ? 403 : 400, ex.Message);
        }

        var answer = await AnswerCallbackAsync(body, cancellationToken).ConfigureAwait(false);
        return answer is null ? WebhookResponse.Empty : Encrypted(answer, nonce);
    }

    private async Task<JsonObject?> AnswerCallbackAsync(JsonObject body, CancellationToken cancellationToken)
    {
        switch (WeComFrames.Text(body, "msgtype"))
        {
            case null:
                WeComLog.NoMsgType(_logger, Id);
                return null;
            case "stream":
                return Refresh(WeComFrames.Text(body, "stream", "id") ?? string.Empty);
            case "event":
                var context = await HandleEventAsync(body, string.Empty, _stopping.Token, emitInBackground: true).ConfigureAwait(false);
                if (context is null || context.Kind is not (CallbackKind.EnterChat or CallbackKind.TemplateCardEvent))
                {
                    return null;
                }

                // The welcome or card update rides on this HTTP answer: wait (briefly: WeCom gives 5 s) for it.
                JsonObject? answer = null;
                try
                {
                    answer = await context.SyncAnswer.Task.WaitAsync(Settings.WebhookAnswerWait, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }

                lock (context.Sync)
                {
                    context.Answered = true;
                }

                return answer;
            default:
                var messageId = WeComFrames.Text(body, "msgid") ?? string.Empty;
                if (AcceptMessage(body, string.Empty) is not { } message)
                {
                    // WeCom retried: answer with the stream already announced.
                    return _contexts.TryGetValue(messageId, out var known) && known.Streams.Values.Concat([known.Announced]).OfType<StreamReply>().FirstOrDefault() is { } existing
                        ? existing.Body(null, Settings.Streaming, out _)
                        : null;
                }

                var stream = new StreamReply(NewStreamId(), message, _time.GetUtcNow());
                lock (message.Sync)
                {
                    message.Announced = stream;
                }

                _streams[stream.Id] = stream;
                _ = EmitMessageAsync(message, body, _stopping.Token);
                return stream.Body(Settings.Feedback ? stream.Id : null, Settings.Streaming, out _);
        }
    }

    /// <summary>Answers a refresh poll: the full text so far; an unknown or finished stream gets a finished empty one.</summary>
    private JsonObject Refresh(string streamId)
    {
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            return new JsonObject { ["msgtype"] = "stream", ["stream"] = new JsonObject { ["id"] = streamId, ["finish"] = true, ["content"] = string.Empty } };
        }

        var answer = stream.Body(null, Settings.Streaming, out var version);
        stream.DeliveredVersion = version;
        if (stream.Finished && version == stream.Version)
        {
            stream.FinalServed = true;
            _streams.TryRemove(streamId, out _);
        }

        return answer;
    }

    private WebhookResponse Encrypted(JsonObject answer, string nonce)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var encrypt = _crypto!.Encrypt(answer.ToJsonString(WeComFrames.WireOptions));
        var envelope = new JsonObject
        {
            ["encrypt"] = encrypt,
            ["msgsignature"] = _crypto.Signature(timestamp, nonce, encrypt),
            ["timestamp"] = timestamp,
            ["nonce"] = nonce,
        };
        return new WebhookResponse(200, "application/json; charset=utf-8", envelope.ToJsonString(WeComFrames.WireOptions));
    }

    private WebhookResponse Reject(WebhookRequest request, int status, string reason)
    {
        WeComLog.WebhookRejected(_logger, Id, request.Method, request.Remote, reason);
        return new WebhookResponse(status, "text/plain; charset=utf-8", reason);
    }
}
