using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Plugboard.Plugins.QQBot.Tests.Simulator;

/// <summary>The OpenAPI v2 endpoints: messages, rich media (inline and chunked), recall, interactions.</summary>
public sealed partial class QQSimulator
{
    private const long ErrorEmpty = 50006;
    private const long ErrorMsgIdInvalid = 40034024;
    private const long ErrorEventIdInvalid = 40034025;
    private const long ErrorExpired = 304027;
    private const long ErrorDuplicateSeq = 40054005;
    private const long ErrorNoPermission = 40034102;
    private const long ErrorMessageLimit = 22009;
    private const long ErrorDailyLimit = 40093002;
    private const long ErrorRetryable = 40093001;
    private const long ErrorFetchFailed = 304082;

    // [UNVERIFIED] codes the reference does not pin down; the simulator needs some code for these rejections.
    private const long ErrorFileInfoInvalid = 40034018;
    private const long ErrorBadRequest = 12002;

    private Task<(int, JsonNode?, JsonNode?)> SendQQAsync(HttpContext context, SimApp app, string scene, string target)
    {
        var body = context.Items["body"] as JsonObject;
        if (body is null || body["msg_type"] is not JsonValue typeValue || !typeValue.TryGetValue<int>(out var msgType))
        {
            return Task.FromResult(Error(400, ErrorBadRequest, "msg_type is required"));
        }

        var content = body["content"]?.GetValue<string>();
        switch (msgType)
        {
            case 0 when string.IsNullOrWhiteSpace(content):
                return Task.FromResult(Error(400, ErrorEmpty, "message is empty"));
            case 2 when body["markdown"] is not JsonObject { Count: > 0 }:
                return Task.FromResult(Error(400, ErrorEmpty, "markdown is empty"));
            case 3 when body["ark"] is not JsonObject:
                return Task.FromResult(Error(400, ErrorEmpty, "ark is empty"));
            case 7:
                var fileInfo = body["media"]?["file_info"]?.GetValue<string>();
                if (fileInfo is null || !app.FileInfos.TryGetValue(fileInfo, out var fileScope) || fileScope != scene)
                {
                    return Task.FromResult(Error(400, ErrorFileInfoInvalid, "file_info invalid or uploaded for another kind of chat"));
                }

                if (scene == "group" && string.IsNullOrEmpty(content))
                {
                    return Task.FromResult(Error(400, ErrorEmpty, "content is required for msg_type 7 in groups"));
                }

                break;
            case 0 or 2 or 3:
                break;
            default:
                return Task.FromResult(Error(400, ErrorBadRequest, $"unsupported msg_type {msgType}"));
        }

        if (body.ContainsKey("keyboard") && msgType != 2)
        {
            return Task.FromResult(Error(400, 304057, "not allowd custom keyborad"));
        }

        var passive = CheckPassive(app, body, $"{scene}:{target}", withSeq: true);
        if (passive is { } rejected)
        {
            return Task.FromResult(rejected);
        }

        var id = "ROBOT1.0_" + Guid.NewGuid().ToString("N");
        app.SentMessages[id] = $"{scene}:{target}";
        return Task.FromResult<(int, JsonNode?, JsonNode?)>((200, null, new JsonObject { ["id"] = id, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() }));
    }

    private Task<(int, JsonNode?, JsonNode?)> SendGuildAsync(HttpContext context, SimApp app, string kind, string target)
    {
        var body = context.Items["body"] as JsonObject ?? [];
        if (!new[] { "content", "embed", "ark", "markdown", "image", "file_image" }.Any(body.ContainsKey))
        {
            return Task.FromResult(Error(400, ErrorEmpty, "message is empty"));
        }

        var passive = CheckPassive(app, body, $"{kind}:{target}", withSeq: false);
        if (passive is { } rejected)
        {
            return Task.FromResult(rejected);
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
        app.SentMessages[id] = $"{kind}:{target}";
        return Task.FromResult<(int, JsonNode?, JsonNode?)>((200, null, new JsonObject
        {
            ["id"] = id,
            ["channel_id"] = kind == "channel" ? target : "dm-channel",
            ["guild_id"] = kind == "dm" ? target : "18700000000001",
            ["content"] = body["content"]?.DeepClone(),
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        }));
    }

    /// <summary>Checks msg_id/event_id, the reply window, msg_seq reuse and the reply count; null when accepted.</summary>
    private (int, JsonNode?, JsonNode?)? CheckPassive(SimApp app, JsonObject body, string scope, bool withSeq)
    {
        var msgId = body["msg_id"]?.ToString();
        var eventId = body["event_id"]?.ToString();
        var id = msgId ?? eventId;
        if (id is null)
        {
            return scope.StartsWith("channel:", StringComparison.Ordinal) || Options.AllowProactive
                ? null
                : Error(400, ErrorNoPermission, "主动消息失败, 无权限");
        }

        if (!app.ReplyKeys.TryGetValue(id, out var key) || key.Scope != scope)
        {
            return msgId is not null
                ? Error(400, ErrorMsgIdInvalid, "请求参数msg_id无效或越权")
                : Error(400, ErrorEventIdInvalid, "请求参数event_id无效或越权");
        }

        lock (key)
        {
            var window = key.IsPerson ? Options.C2CReplyWindow : Options.GroupReplyWindow;
            if (DateTimeOffset.UtcNow - key.PushedAt > window)
            {
                return Error(400, ErrorExpired, "回复消息msg_id已过期");
            }

            if (withSeq)
            {
                var seq = body["msg_seq"] is JsonValue value && value.TryGetValue<long>(out var s) ? s : 1;
                if (!key.Seqs.Add(seq))
                {
                    return Error(400, ErrorDuplicateSeq, "消息被去重，请检查请求msgseq");
                }
            }

            if (key.Replies >= Options.MaxRepliesPerMessage)
            {
                return Error(400, ErrorMessageLimit, "msg limit exceed");
            }

            key.Replies++;
        }

        return null;
    }

    private Task<(int, JsonNode?, JsonNode?)> FilesAsync(HttpContext context, SimApp app, string scene)
    {
        var body = context.Items["body"] as JsonObject ?? [];
        if (app.UploadDailyLimitReached)
        {
            return Task.FromResult(Error(400, ErrorDailyLimit, "今日上传文件数量已达上限"));
        }

        byte[] content;
        if (body["upload_id"]?.ToString() is { } uploadId)
        {
            if (!_chunked.TryGetValue(uploadId, out var upload) || upload.AppId != app.AppId || upload.Scope != scene)
            {
                return Task.FromResult(Error(400, ErrorBadRequest, "upload_id invalid"));
            }

            if (upload.Finished.Count != upload.Parts)
            {
                return Task.FromResult(Error(400, ErrorBadRequest, $"{upload.Finished.Count} of {upload.Parts} parts finished"));
            }

            content = [.. Enumerable.Range(1, upload.Parts).SelectMany(i => upload.Stored[i])];
            if (Convert.ToHexStringLower(MD5.HashData(content)) != upload.Md5 || content.Length != upload.Size)
            {
                return Task.FromResult(Error(400, ErrorBadRequest, "merged file does not match md5/file_size of upload_prepare"));
            }
        }
        else
        {
            if (body["file_type"] is not JsonValue fileType || !fileType.TryGetValue<int>(out var type) || type is < 1 or > 4)
            {
                return Task.FromResult(Error(400, ErrorBadRequest, "file_type must be 1, 2, 3 or 4"));
            }

            if (body["url"]?.ToString() is { } url)
            {
                if (url.Contains("unreachable", StringComparison.Ordinal))
                {
                    return Task.FromResult(Error(400, ErrorFetchFailed, "富媒体文件下载失败"));
                }

                content = Encoding.UTF8.GetBytes(url);
            }
            else if (body["file_data"]?.ToString() is { } data)
            {
                try
                {
                    content = Convert.FromBase64String(data);
                }
                catch (FormatException)
                {
                    return Task.FromResult(Error(400, 304083, "富媒体文件格式不支持"));
                }
            }
            else
            {
                return Task.FromResult(Error(400, ErrorBadRequest, "url or file_data is required"));
            }
        }

        var info = $"FI-{scene}-{Guid.NewGuid():N}";
        app.FileInfos[info] = scene;
        app.UploadedFiles[info] = content;
        return Task.FromResult<(int, JsonNode?, JsonNode?)>((200, null, new JsonObject { ["file_uuid"] = Guid.NewGuid().ToString("N"), ["file_info"] = info, ["ttl"] = 3600 }));
    }

    private Task<(int, JsonNode?, JsonNode?)> UploadPrepareAsync(HttpContext context, SimApp app, string scene)
    {
        var body = context.Items["body"] as JsonObject ?? [];
        if (app.UploadDailyLimitReached)
        {
            return Task.FromResult(Error(400, ErrorDailyLimit, "今日上传文件数量已达上限"));
        }

        var sizeText = body["file_size"]?.ToString();
        if (!long.TryParse(sizeText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) || size <= 0
            || body["md5"] is null || body["sha1"] is null || body["md5_10m"] is null || body["file_name"] is null
            || body["file_type"] is not JsonValue fileType || !fileType.TryGetValue<int>(out var type))
        {
            return Task.FromResult(Error(400, ErrorBadRequest, "upload_prepare needs file_type, file_name, file_size, md5, sha1 and md5_10m"));
        }

        var block = Options.ChunkBlockSize;
        var parts = (int)((size + block - 1) / block);
        var uploadId = "UP" + Guid.NewGuid().ToString("N");
        _chunked[uploadId] = new ChunkedUpload(app.AppId, scene, type, body["file_name"]!.ToString(), size, body["md5"]!.ToString(), block, parts);
        var list = new JsonArray();
        for (var i = 1; i <= parts; i++)
        {
            list.Add(new JsonObject { ["index"] = i, ["presigned_url"] = $"{BaseUrl}/cos/{uploadId}/{i}" });
        }

        return Task.FromResult<(int, JsonNode?, JsonNode?)>((200, null, new JsonObject
        {
            ["upload_id"] = uploadId,
            ["block_size"] = block,
            ["parts"] = list,
            ["upload_config"] = new JsonObject { ["concurrency"] = 2, ["retry_timeout"] = 10, ["retry_delay"] = 0.01 },
        }));
    }

    private async Task PutPartAsync(HttpContext context)
    {
        var uploadId = (string)context.Request.RouteValues["upload"]!;
        var index = int.Parse((string)context.Request.RouteValues["index"]!, CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        Record(context, null, new JsonObject { ["bytes"] = buffer.Length }, 200);
        if (!_chunked.TryGetValue(uploadId, out var upload))
        {
            context.Response.StatusCode = 404;
            return;
        }

        upload.Stored[index] = buffer.ToArray();
        context.Response.StatusCode = 200;
    }

    private Task<(int, JsonNode?, JsonNode?)> PartFinishAsync(HttpContext context, SimApp app)
    {
        var body = context.Items["body"] as JsonObject ?? [];
        if (Interlocked.Increment(ref _partFinishes) <= Options.RetryablePartFinishes)
        {
            return Task.FromResult(Error(500, ErrorRetryable, "upload part not ready, retry"));
        }

        var uploadId = body["upload_id"]?.ToString();
        var index = body["part_index"] is JsonValue i && i.TryGetValue<int>(out var n) ? n : -1;
        if (uploadId is null || !_chunked.TryGetValue(uploadId, out var upload) || !upload.Stored.TryGetValue(index, out var stored))
        {
            return Task.FromResult(Error(400, ErrorBadRequest, "unknown upload or part not stored"));
        }

        if (Convert.ToHexStringLower(MD5.HashData(stored)) != body["md5"]?.ToString() || body["block_size"]?.ToString() != stored.Length.ToString(CultureInfo.InvariantCulture))
        {
            return Task.FromResult(Error(400, ErrorBadRequest, "part md5 or block_size mismatch"));
        }

        upload.Finished[index] = true;
        return Ok(context, new JsonObject());
    }

    private Task<(int, JsonNode?, JsonNode?)> RecallAsync(HttpContext context, SimApp app)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        return Task.FromResult(app.SentMessages.TryRemove(id, out _)
            ? ((int, JsonNode?, JsonNode?))(200, null, null)
            : Error(404, 40034100, "message not found or too old to recall"));
    }

    private Task<(int, JsonNode?, JsonNode?)> InteractionAsync(HttpContext context, SimApp app)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        if (!app.Interactions.ContainsKey(id))
        {
            return Task.FromResult(Error(404, ErrorBadRequest, "interaction not found"));
        }

        return Task.FromResult(context.Items["body"] is JsonObject { } body && body["code"] is JsonValue
            ? ((int, JsonNode?, JsonNode?))(200, null, null)
            : Error(400, ErrorBadRequest, "code is required"));
    }
}
