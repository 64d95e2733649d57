using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Plugins.QQBot.Configuration;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Outbound;

/// <summary>The result of a rich-media upload: the <c>file_info</c> a media message sends.</summary>
/// <param name="FileInfo">The platform's file_info (reusable for chats of the same kind while it lives).</param>
/// <param name="FileUuid">The platform's file uuid.</param>
/// <param name="Ttl">Seconds it stays valid; 0 for long-lived.</param>
internal sealed record UploadedMedia(string FileInfo, string? FileUuid, long Ttl);

/// <summary>
/// Rich-media uploads for QQ person and group chats: by URL (the platform fetches it), by base64 data inline
/// (<c>file_data</c>) up to <see cref="QQBotConfig.InlineUploadMaxBytes"/>, and above that the chunked upload
/// (<c>upload_prepare</c> → PUT parts to their pre-signed URLs → <c>upload_part_finish</c> → <c>/files</c> with the
/// upload id). Failures are typed: too large, daily limit, fetch failed.
/// </summary>
internal sealed class MediaUploader
{
    /// <summary>md5_10m hashes the first 10,002,432 bytes (the platform's definition).</summary>
    private const int Md5PrefixBytes = 10_002_432;

    private const int MaxPartConcurrency = 4;
    private const int PartPutAttempts = 3;
    private const int CompleteAttempts = 3;

    private readonly QQBotConfig _config;
    private readonly QQOpenApiClient _api;
    private readonly ILogger _logger;

    public MediaUploader(QQBotConfig config, QQOpenApiClient api, ILogger logger)
    {
        _config = config;
        _api = api;
        _logger = logger;
    }

    /// <summary>The platform's file_type of a component: 1 image, 2 video, 3 voice, 4 file.</summary>
    public static int FileTypeOf(MediaComponent media) => media switch
    {
        ImageComponent => 1,
        VoiceComponent => 3,
        FileComponent file when file.MimeType?.StartsWith("video/", StringComparison.OrdinalIgnoreCase) == true
            || file.Name.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase) => 2,
        _ => 4,
    };

    /// <summary>Uploads a media component for a chat (or reuses its <c>fileId</c> as a file_info).</summary>
    public async Task<UploadedMedia> UploadAsync(QQChat chat, MediaComponent media, CancellationToken cancellationToken)
    {
        var basePath = chat.MediaBasePath;
        if (!string.IsNullOrEmpty(media.FileId))
        {
            return new UploadedMedia(media.FileId, null, 0);
        }

        var fileType = FileTypeOf(media);
        var fileName = (media as FileComponent)?.Name;
        var body = new JsonObject { ["file_type"] = fileType, ["srv_send_msg"] = false };
        if (fileName is not null)
        {
            body["file_name"] = fileName;
        }

        string what;
        if (!string.IsNullOrEmpty(media.Url))
        {
            body["url"] = media.Url;
            what = $"{Describe(media)} from {media.Url}";
        }
        else if (!string.IsNullOrEmpty(media.Base64))
        {
            var data = Decode(media.Base64);
            what = string.Create(CultureInfo.InvariantCulture, $"{Describe(media)} ({FormatSize(data.Length)})");
            if (data.Length > _config.MaxUploadBytes)
            {
                throw new QQApiException(QQErrorKind.UploadTooLarge, string.Create(CultureInfo.InvariantCulture, $"Cannot upload {what} to {chat.Describe()}: it exceeds the upload limit of {FormatSize(_config.MaxUploadBytes)} (maxUploadBytes). {QQErrorCodes.Advice(QQErrorKind.UploadTooLarge, null)}"));
            }

            if (data.Length > _config.InlineUploadMaxBytes)
            {
                return await ChunkedAsync(chat, basePath, fileType, fileName ?? DefaultName(media), data, what, cancellationToken).ConfigureAwait(false);
            }

            body["file_data"] = media.Base64.Contains(',', StringComparison.Ordinal) ? Convert.ToBase64String(data) : media.Base64;
        }
        else
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, $"The {Describe(media)} has no url, base64 or fileId; give one of them.");
        }

        Log.Uploading(_logger, _config.AppId, what, chat.Describe());
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Parse(await _api.CallAsync(HttpMethod.Post, basePath + "/files", body, cancellationToken).ConfigureAwait(false), what);
            }
            catch (QQApiException ex) when (ex.Kind == QQErrorKind.UploadFetchFailed && attempt < 2)
            {
                // 304082/304083: the platform says to retry.
                Log.UploadRetry(_logger, _config.AppId, what, ex.Code ?? 0);
            }
            catch (QQApiException ex)
            {
                throw Wrap(ex, what, chat);
            }
        }
    }

    private async Task<UploadedMedia> ChunkedAsync(QQChat chat, string basePath, int fileType, string fileName, byte[] data, string what, CancellationToken cancellationToken)
    {
        Log.ChunkedUpload(_logger, _config.AppId, what, chat.Describe());
        var prepareBody = new JsonObject
        {
            ["file_type"] = fileType,
            ["file_name"] = fileName,
            ["file_size"] = data.Length.ToString(CultureInfo.InvariantCulture),
            ["md5"] = Hex(MD5.HashData(data)),
            ["sha1"] = Hex(SHA1.HashData(data)),
            ["md5_10m"] = Hex(MD5.HashData(data.AsSpan(0, Math.Min(data.Length, Md5PrefixBytes)))),
        };
        JsonElement prepared;
        try
        {
            prepared = Unwrap(await _api.CallAsync(HttpMethod.Post, basePath + "/upload_prepare", prepareBody, cancellationToken).ConfigureAwait(false));
        }
        catch (QQApiException ex)
        {
            throw Wrap(ex, what, chat);
        }

        var uploadId = QQJson.String(prepared, "upload_id");
        var blockSize = QQJson.Long(prepared, "block_size") ?? 0;
        var parts = QQJson.Array(prepared, "parts").Concat(QQJson.Array(prepared, "part_list")).ToList();
        if (string.IsNullOrEmpty(uploadId) || blockSize <= 0 || parts.Count == 0)
        {
            throw new QQApiException(QQErrorKind.Platform, $"Chunked upload of {what}: upload_prepare answered without upload_id, block_size or parts.", endpoint: "POST " + basePath + "/upload_prepare");
        }

        var uploadConfig = QQJson.Object(prepared, "upload_config") ?? prepared;
        var concurrency = (int)Math.Clamp(QQJson.Long(uploadConfig, "concurrency") ?? 1, 1, MaxPartConcurrency);
        var retryTimeout = TimeSpan.FromSeconds(Math.Clamp(QQJson.Long(uploadConfig, "retry_timeout") ?? 120, 1, 600));
        var retryDelay = ReadDelay(uploadConfig);
        var indexed = parts.Select(p => (Index: QQJson.Long(p, "index") ?? QQJson.Long(p, "part_index") ?? -1, Url: QQJson.String(p, "presigned_url") ?? QQJson.String(p, "url"), Size: QQJson.Long(p, "block_size"))).ToList();
        if (indexed.Any(p => p.Index < 0 || string.IsNullOrEmpty(p.Url)))
        {
            throw new QQApiException(QQErrorKind.Platform, $"Chunked upload of {what}: a part in the upload_prepare answer has no index or presigned_url.");
        }

        var indexBase = indexed.Min(p => p.Index);
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = indexed.Select(async part =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var offset = (part.Index - indexBase) * blockSize;
                var length = (int)Math.Min(part.Size is > 0 ? part.Size.Value : blockSize, data.Length - offset);
                if (offset >= data.Length || length <= 0)
                {
                    throw new QQApiException(QQErrorKind.Platform, string.Create(CultureInfo.InvariantCulture, $"Chunked upload of {what}: part {part.Index} lies outside the file ({data.Length} bytes, block size {blockSize})."));
                }

                var slice = data.AsMemory((int)offset, length).ToArray();
                await PutPartAsync(part.Url!, slice, part.Index, indexed.Count, retryDelay, what, cancellationToken).ConfigureAwait(false);
                await FinishPartAsync(basePath, uploadId, part.Index, slice, retryTimeout, retryDelay, what, chat, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var completeBody = new JsonObject { ["upload_id"] = uploadId, ["file_type"] = fileType, ["file_name"] = fileName, ["srv_send_msg"] = false };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = Parse(await _api.CallAsync(HttpMethod.Post, basePath + "/files", completeBody, cancellationToken).ConfigureAwait(false), what);
                Log.ChunkedUploadDone(_logger, _config.AppId, what, indexed.Count);
                return result;
            }
            catch (QQApiException ex) when (ex.Code == QQErrorCodes.UploadRetryable && attempt < CompleteAttempts)
            {
                await Task.Delay(retryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (QQApiException ex)
            {
                throw Wrap(ex, what, chat);
            }
        }
    }

    private async Task PutPartAsync(string url, byte[] slice, long index, int total, TimeSpan retryDelay, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _api.PutBytesAsync(url, slice, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (QQApiException ex) when (attempt < PartPutAttempts)
            {
                Log.PartRetry(_logger, _config.AppId, what, index, total, ex.Message);
                await Task.Delay(retryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (QQApiException ex)
            {
                throw new QQApiException(QQErrorKind.Platform, string.Create(CultureInfo.InvariantCulture, $"Chunked upload of {what}: part {index} of {total} could not be stored after {PartPutAttempts} attempts: {ex.Message}"), ex.HttpStatus, endpoint: ex.Endpoint, innerException: ex);
            }
        }
    }

    private async Task FinishPartAsync(string basePath, string uploadId, long index, byte[] slice, TimeSpan retryTimeout, TimeSpan retryDelay, string what, QQChat chat, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["upload_id"] = uploadId, ["part_index"] = index, ["block_size"] = slice.Length, ["md5"] = Hex(MD5.HashData(slice)) };
        var deadline = DateTimeOffset.UtcNow + retryTimeout;
        while (true)
        {
            try
            {
                await _api.CallAsync(HttpMethod.Post, basePath + "/upload_part_finish", body, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (QQApiException ex) when (ex.Code == QQErrorCodes.UploadRetryable && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(retryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (QQApiException ex)
            {
                throw Wrap(ex, what, chat);
            }
        }
    }

    private static TimeSpan ReadDelay(JsonElement uploadConfig)
    {
        if (uploadConfig.ValueKind == JsonValueKind.Object && uploadConfig.TryGetProperty("retry_delay", out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 30));
        }

        return TimeSpan.FromSeconds(1);
    }

    private static QQApiException Wrap(QQApiException ex, string what, QQChat chat)
    {
        var kind = ex.Code == QQErrorCodes.UploadDailyLimit ? QQErrorKind.UploadDailyLimit : ex.Kind;
        return new QQApiException(kind, $"Uploading {what} to {chat.Describe()} failed: {ex.Message}", ex.HttpStatus, ex.Code, ex.PlatformMessage, ex.TraceId, ex.Endpoint, ex);
    }

    private static UploadedMedia Parse(JsonElement root, string what)
    {
        root = Unwrap(root);
        return QQJson.String(root, "file_info") is { Length: > 0 } fileInfo
            ? new UploadedMedia(fileInfo, QQJson.String(root, "file_uuid"), QQJson.Long(root, "ttl") ?? 0)
            : throw new QQApiException(QQErrorKind.Platform, $"Uploading {what}: the platform answered without a file_info.");
    }

    /// <summary>Some answers wrap their fields in <c>data</c>.</summary>
    private static JsonElement Unwrap(JsonElement root) => QQJson.Object(root, "data") ?? root;

    private static byte[] Decode(string base64)
    {
        var comma = base64.IndexOf(',', StringComparison.Ordinal);
        var payload = base64.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && comma > 0 ? base64[(comma + 1)..] : base64;
        try
        {
            return Convert.FromBase64String(payload.Trim());
        }
        catch (FormatException)
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, "The media's base64 content is not valid base64.");
        }
    }

    private static string Describe(MediaComponent media) => media switch
    {
        ImageComponent => "image",
        VoiceComponent => "voice",
        FileComponent file => $"file '{file.Name}'",
        _ => "media",
    };

    private static string DefaultName(MediaComponent media) => media switch
    {
        ImageComponent => "image.png",
        VoiceComponent => "voice.silk",
        _ => "file.bin",
    };

    private static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    /// <summary>A size for people, e.g. <c>12.3 MB</c>.</summary>
    public static string FormatSize(long bytes)
    {
        double size = bytes;
        foreach (var unit in new[] { "B", "KB", "MB", "GB" })
        {
            if (size < 1024)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{size:0.#} {unit}");
            }

            size /= 1024;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{size:0.#} TB");
    }
}
