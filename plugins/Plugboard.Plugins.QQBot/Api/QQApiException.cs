using System.Globalization;
using System.Text;
using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Api;

/// <summary>
/// A failed QQ platform call, with the platform's own HTTP status, business <c>code</c>, <c>message</c> and trace id
/// when it sent them. <see cref="ToJsonRpc"/> turns it into the <see cref="PlugboardErrorCodes.PlatformError"/> the
/// runtime expects.
/// </summary>
internal sealed class QQApiException : Exception
{
    public QQApiException(QQErrorKind kind, string message, int? httpStatus = null, long? code = null, string? platformMessage = null, string? traceId = null, string? endpoint = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        HttpStatus = httpStatus;
        Code = code;
        PlatformMessage = platformMessage;
        TraceId = traceId;
        Endpoint = endpoint;
    }

    /// <summary>The classification.</summary>
    public QQErrorKind Kind { get; }

    /// <summary>The HTTP status, when an HTTP answer arrived.</summary>
    public int? HttpStatus { get; }

    /// <summary>The platform's business code (<c>code</c> or <c>err_code</c>).</summary>
    public long? Code { get; }

    /// <summary>The platform's <c>message</c>.</summary>
    public string? PlatformMessage { get; }

    /// <summary>The platform's trace id (<c>X-Tps-trace-Id</c> or <c>trace_id</c>).</summary>
    public string? TraceId { get; }

    /// <summary>The method and path called, e.g. <c>POST /v2/users/{openid}/messages</c>.</summary>
    public string? Endpoint { get; }

    /// <summary>The kind as sent in error data (camelCase).</summary>
    public string KindName => JsonNamingPolicy.CamelCase.ConvertName(Kind.ToString());

    /// <summary>Creates the error for a platform answer, with a message that says what happened and what to do.</summary>
    public static QQApiException FromResponse(string endpoint, int status, long? code, string? platformMessage, string? traceId)
    {
        var kind = QQErrorCodes.Classify(status, code);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"QQ API {endpoint} failed: HTTP {status}");
        if (code is { } c)
        {
            text.Append(CultureInfo.InvariantCulture, $", code {c}");
        }

        if (!string.IsNullOrEmpty(platformMessage))
        {
            text.Append(CultureInfo.InvariantCulture, $", \"{platformMessage}\"");
        }

        if (!string.IsNullOrEmpty(traceId))
        {
            text.Append(CultureInfo.InvariantCulture, $" (trace id {traceId})");
        }

        text.Append(". ").Append(QQErrorCodes.Advice(kind, code));
        return new QQApiException(kind, text.ToString(), status, code, platformMessage, traceId, endpoint);
    }

    /// <summary>The JSON-RPC error for the runtime: code 3001 with kind, status, code, message, trace id and endpoint in data.</summary>
    public JsonRpcException ToJsonRpc(string? botId = null)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("platform", "qqbot");
            writer.WriteString("kind", KindName);
            if (botId is not null)
            {
                writer.WriteString("bot", botId);
            }

            if (HttpStatus is { } status)
            {
                writer.WriteNumber("httpStatus", status);
            }

            if (Code is { } code)
            {
                writer.WriteNumber("code", code);
            }

            if (PlatformMessage is not null)
            {
                writer.WriteString("message", PlatformMessage);
            }

            if (TraceId is not null)
            {
                writer.WriteString("traceId", TraceId);
            }

            if (Endpoint is not null)
            {
                writer.WriteString("endpoint", Endpoint);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return new JsonRpcException(PlugboardErrorCodes.PlatformError, Message, document.RootElement.Clone(), this);
    }
}
