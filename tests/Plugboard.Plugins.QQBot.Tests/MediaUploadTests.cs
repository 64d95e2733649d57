using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Tests.Infrastructure;
using Plugboard.Plugins.QQBot.Tests.Simulator;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot.Tests;

/// <summary>Rich-media uploads (inline, chunked, errors) against the simulated <c>/files</c> and chunked endpoints.</summary>
public sealed class MediaUploadTests : IAsyncLifetime
{
    private static readonly ChatTarget Group = new(ChatType.Group, Frames.GroupOpenId);
    private AdapterHarness _harness = null!;

    private QQSimulator Sim => _harness.Simulator;

    private SimApp App => Sim.App(AdapterHarness.AppId);

    public async Task InitializeAsync()
    {
        _harness = await AdapterHarness.StartAsync(new QQSimulatorOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(1000), ChunkBlockSize = 4096, RetryablePartFinishes = 1 });
        await _harness.StartBotAsync(extra: new JsonObject { ["inlineUploadMaxBytes"] = 8192, ["maxUploadBytes"] = 65536 });
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Upload_SmallBase64File_InlineFileDataWithFileName()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);

        var result = await UploadAsync(new JsonObject { ["kind"] = "file", ["base64"] = Convert.ToBase64String(bytes), ["fileName"] = "notes.txt" });

        var request = Assert.Single(Sim.Requests, r => r.Path.EndsWith("/files", StringComparison.Ordinal));
        Assert.Equal(4, request.Body!["file_type"]!.GetValue<int>());
        Assert.Equal("notes.txt", request.Field("file_name"));
        Assert.False(request.Body!["srv_send_msg"]!.GetValue<bool>());
        Assert.Equal(bytes, App.Uploads[result.GetProperty("fileId").GetString()!]);
        Assert.Equal(3600, result.GetProperty("ttl").GetInt64());
    }

    [Fact]
    public async Task Upload_LargeBase64Video_ChunkedPrepareParsFinishComplete()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);

        var result = await UploadAsync(new JsonObject { ["kind"] = "video", ["base64"] = Convert.ToBase64String(bytes), ["fileName"] = "clip.mp4" });

        var paths = Sim.Requests.Select(r => r.Path).ToList();
        var prepare = Assert.Single(Sim.Requests, r => r.Path.EndsWith("/upload_prepare", StringComparison.Ordinal));
        Assert.Equal("10000", prepare.Field("file_size"));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), prepare.Field("md5"));
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(bytes)), prepare.Field("sha1"));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), prepare.Field("md5_10m"));
        Assert.Equal(2, prepare.Body!["file_type"]!.GetValue<int>());
        Assert.Equal(3, paths.Count(p => p.StartsWith("/cos/", StringComparison.Ordinal)));
        Assert.Equal(4, Sim.Requests.Count(r => r.Path.EndsWith("/upload_part_finish", StringComparison.Ordinal)));
        Assert.Single(Sim.Requests, r => r.Path.EndsWith("/upload_part_finish", StringComparison.Ordinal) && r.Status == 500);
        var complete = Assert.Single(Sim.Requests, r => r.Path.EndsWith("/files", StringComparison.Ordinal));
        Assert.StartsWith("UP", complete.Field("upload_id"), StringComparison.Ordinal);
        Assert.Equal(bytes, App.Uploads[result.GetProperty("fileId").GetString()!]);
    }

    [Fact]
    public async Task Upload_OverTheLimit_UploadTooLargeWithoutARequest()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => UploadAsync(new JsonObject { ["kind"] = "file", ["base64"] = Convert.ToBase64String(new byte[70_000]), ["fileName"] = "big.bin" }));

        Assert.Equal("uploadTooLarge", Kind(error));
        Assert.Contains("big.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains("64 KB", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Sim.Requests, r => r.Path.Contains("/files", StringComparison.Ordinal) || r.Path.Contains("upload", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_DailyLimit_UploadDailyLimitWithPlatformCode()
    {
        App.UploadDailyLimitReached = true;

        var inline = await Assert.ThrowsAsync<JsonRpcException>(() => UploadAsync(new JsonObject { ["kind"] = "image", ["url"] = "https://example.com/x.png" }));
        var chunked = await Assert.ThrowsAsync<JsonRpcException>(() => UploadAsync(new JsonObject { ["kind"] = "file", ["base64"] = Convert.ToBase64String(new byte[20_000]), ["fileName"] = "f.bin" }));

        Assert.Equal("uploadDailyLimit", Kind(inline));
        Assert.Equal(40093002, inline.Data!.Value.GetProperty("code").GetInt64());
        Assert.Equal("uploadDailyLimit", Kind(chunked));
    }

    [Fact]
    public async Task Upload_UnreachableUrl_RetriedOnceThenUploadFetchFailed()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => UploadAsync(new JsonObject { ["kind"] = "image", ["url"] = "https://unreachable.example/x.png" }));

        Assert.Equal("uploadFetchFailed", Kind(error));
        Assert.Equal(304082, error.Data!.Value.GetProperty("code").GetInt64());
        Assert.Equal(2, Sim.Requests.Count(r => r.Path.EndsWith("/files", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reply_ImageWithFileId_ReusesFileInfoWithoutUploading()
    {
        var uploaded = await UploadAsync(new JsonObject { ["kind"] = "image", ["url"] = "https://example.com/x.png" });
        await App.PushAsync("GROUP_AT_MESSAGE_CREATE", Frames.Group(" again", id: "ROBOT1.0_re"));
        await _harness.Sink.WaitForOneAsync(e => e.Type == EventTypes.MessageReceived, "the message");

        await _harness.Adapter.ReplyAsync(new ReplyParams("qq1", Group, "ROBOT1.0_re", [new ImageComponent(FileId: uploaded.GetProperty("fileId").GetString())]), CancellationToken.None);

        Assert.Single(Sim.Requests, r => r.Path.EndsWith("/files", StringComparison.Ordinal));
        var send = Assert.Single(Sim.Requests, r => r.Path.EndsWith("/messages", StringComparison.Ordinal));
        Assert.Equal(uploaded.GetProperty("fileId").GetString(), send.Body!["media"]!["file_info"]!.GetValue<string>());
        Assert.Equal(200, send.Status);
    }

    [Fact]
    public async Task Upload_GuildChannel_UnsupportedTypedError()
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(() => _harness.Adapter.UploadFileAsync(JsonSerializer.SerializeToElement(new JsonObject
        {
            ["botId"] = "qq1",
            ["chat"] = new JsonObject { ["type"] = "group", ["id"] = "channel:100010" },
            ["file"] = new JsonObject { ["type"] = "image", ["url"] = "https://example.com/x.png" },
        }), CancellationToken.None));

        Assert.Equal("unsupported", Kind(error));
    }

    private Task<JsonElement> UploadAsync(JsonObject parameters)
    {
        parameters["chat"] = new JsonObject { ["type"] = "group", ["id"] = Frames.GroupOpenId };
        return _harness.Adapter.CallPlatformApiAsync(new CallPlatformApiParams("qq1", "uploadMedia", JsonSerializer.SerializeToElement(parameters)), CancellationToken.None);
    }

    private static string? Kind(JsonRpcException error) => error.Data!.Value.GetProperty("kind").GetString();
}
