using System.Text;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Storage;

/// <summary>
/// Every behaviour of <see cref="IPlugboardStorage"/>; each implementation runs all of it through a subclass.
/// </summary>
public abstract class StorageTests : IAsyncLifetime
{
    private static readonly StorageScope PluginA = StorageScope.ForPlugin("example.plugin-a");
    private static readonly StorageScope PluginB = StorageScope.ForPlugin("example/plugin-b");

    private IPlugboardStorage? _storage;

    /// <summary>The storage under test, created on first use with default options.</summary>
    protected IPlugboardStorage Storage => _storage ??= CreateStorage();

    /// <summary>
    /// Creates a storage over this test's store: every instance one test creates sees the same data, and no
    /// other test's data.
    /// </summary>
    protected abstract IPlugboardStorage CreateStorage(Action<StorageOptions>? configure = null);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await Storage.GetAsync(PluginA, "missing"));
    }

    [Fact]
    public async Task SetAsync_ThenGet_ReturnsValueAndVersion()
    {
        var value = new byte[] { 0, 1, 2, 255, 128 };

        var version = await Storage.SetAsync(PluginA, "greeting", value);
        var entry = await Storage.GetAsync(PluginA, "greeting");

        Assert.True(version > 0);
        Assert.NotNull(entry);
        Assert.Equal(value, entry.Value.ToArray());
        Assert.Equal(version, entry.Version);
    }

    [Fact]
    public async Task SetAsync_SameKeyAgain_ReplacesValueWithGreaterVersion()
    {
        var first = await Storage.SetAsync(PluginA, "counter", Text("1"));
        var second = await Storage.SetAsync(PluginA, "counter", Text("2"));
        var third = await Storage.SetAsync(PluginA, "counter", Text("3"));

        Assert.True(second > first);
        Assert.True(third > second);
        var entry = await Storage.GetAsync(PluginA, "counter");
        Assert.Equal("3", Text(entry));
        Assert.Equal(third, entry!.Version);
    }

    [Fact]
    public async Task SetAsync_DifferentKeysAndScopes_VersionsAreUnique()
    {
        var versions = new List<long>();
        foreach (var scope in new[] { PluginA, PluginB, StorageScope.Shared })
        {
            for (var i = 0; i < 5; i++)
            {
                versions.Add(await Storage.SetAsync(scope, $"key{i}", Text("v")));
            }
        }

        Assert.Equal(versions.Count, versions.Distinct().Count());
    }

    [Fact]
    public async Task SetAsync_EmptyValue_RoundTripsAsEmpty()
    {
        var version = await Storage.SetAsync(PluginA, "empty", ReadOnlyMemory<byte>.Empty);

        var entry = await Storage.GetAsync(PluginA, "empty");

        Assert.NotNull(entry);
        Assert.Equal(0, entry.Value.Length);
        Assert.Equal(version, entry.Version);
    }

    [Fact]
    public async Task SetAsync_SliceOfLargerBuffer_StoresOnlyTheSlice()
    {
        var buffer = Encoding.UTF8.GetBytes("xxhelloxx");

        await Storage.SetAsync(PluginA, "slice", buffer.AsMemory(2, 5));

        Assert.Equal("hello", Text(await Storage.GetAsync(PluginA, "slice")));
    }

    [Fact]
    public async Task SetAsync_UnicodeKeys_RoundTripEachKey()
    {
        string[] keys = ["日本語/設定", "ключ", "emoji 😀 key", "é\u0301", "\U0010FFFF", "tab\tand\nnewline"];
        foreach (var key in keys)
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        foreach (var key in keys)
        {
            Assert.Equal(key, Text(await Storage.GetAsync(PluginA, key)));
        }

        Assert.Equal(keys.Order(CodePointOrder).ToArray(), await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task GetAsync_KeysDifferingOnlyInCase_AreDistinct()
    {
        await Storage.SetAsync(PluginA, "Key", Text("upper"));
        await Storage.SetAsync(PluginA, "key", Text("lower"));

        Assert.Equal("upper", Text(await Storage.GetAsync(PluginA, "Key")));
        Assert.Equal("lower", Text(await Storage.GetAsync(PluginA, "key")));
    }

    [Fact]
    public async Task DeleteAsync_ExistingKey_RemovesItAndReturnsTrue()
    {
        await Storage.SetAsync(PluginA, "doomed", Text("x"));

        Assert.True(await Storage.DeleteAsync(PluginA, "doomed"));

        Assert.Null(await Storage.GetAsync(PluginA, "doomed"));
        Assert.Empty(await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task DeleteAsync_MissingKey_ReturnsFalse()
    {
        Assert.False(await Storage.DeleteAsync(PluginA, "never-written"));
    }

    [Fact]
    public async Task SetAsync_AfterDelete_VersionIsNeverReused()
    {
        var before = await Storage.SetAsync(PluginA, "phoenix", Text("1"));
        await Storage.DeleteAsync(PluginA, "phoenix");

        var after = await Storage.SetAsync(PluginA, "phoenix", Text("2"));

        Assert.True(after > before);
        var stale = await Storage.CompareAndSetAsync(PluginA, "phoenix", before, Text("3"));
        Assert.False(stale.Succeeded);
    }

    [Fact]
    public async Task ListKeysAsync_NoPrefix_ReturnsAllKeysInOrder()
    {
        foreach (var key in new[] { "b", "a/2", "c", "a/10", "a/1", "A" })
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        Assert.Equal(["A", "a/1", "a/10", "a/2", "b", "c"], await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task ListKeysAsync_WithPrefix_ReturnsOnlyMatchingKeysInOrder()
    {
        foreach (var key in new[] { "user/2", "user/1", "user", "users/9", "use", "user/10", "usEr/3", "zzz" })
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        Assert.Equal(["user/1", "user/10", "user/2"], await Storage.ListKeysAsync(PluginA, prefix: "user/"));
        Assert.Equal(["user", "user/1", "user/10", "user/2", "users/9"], await Storage.ListKeysAsync(PluginA, prefix: "user"));
        Assert.Empty(await Storage.ListKeysAsync(PluginA, prefix: "nothing"));
        Assert.Equal(8, (await Storage.ListKeysAsync(PluginA, prefix: string.Empty)).Count);
    }

    [Fact]
    public async Task ListKeysAsync_PrefixCharactersSpecialInSql_AreMatchedLiterally()
    {
        foreach (var key in new[] { "50%/a", "50x/b", "a_b", "axb", "[x]", "*" })
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        Assert.Equal(["50%/a"], await Storage.ListKeysAsync(PluginA, prefix: "50%"));
        Assert.Equal(["a_b"], await Storage.ListKeysAsync(PluginA, prefix: "a_"));
        Assert.Equal(["[x]"], await Storage.ListKeysAsync(PluginA, prefix: "["));
        Assert.Equal(["*"], await Storage.ListKeysAsync(PluginA, prefix: "*"));
    }

    [Fact]
    public async Task ListKeysAsync_UnicodeKeys_OrderedByCodePoint()
    {
        // UTF-16 ordinal order would put the emoji (a surrogate pair, 0xD83D...) before U+FF61.
        string[] keys = ["z", "é", "日本", "\uFF61", "😀", "\uE000", "\uD7FF"];
        foreach (var key in keys)
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        Assert.Equal(["z", "é", "日本", "\uD7FF", "\uE000", "\uFF61", "😀"], await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task ListKeysAsync_UnicodePrefixes_MatchExactlyTheKeysStartingWithThem()
    {
        string[] keys = ["日", "日本", "日本語", "日本/x", "日付", "\uD7FF", "\uD7FFx", "\uE000", "a\U0010FFFF", "a\U0010FFFFb", "b", "😀1", "😁"];
        foreach (var key in keys)
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        foreach (var prefix in new[] { "日本", "日", "\uD7FF", "a\U0010FFFF", "\U0010FFFF", "😀", "a" })
        {
            var expected = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(CodePointOrder).ToArray();
            Assert.Equal(expected, await Storage.ListKeysAsync(PluginA, prefix: prefix));
        }
    }

    [Fact]
    public async Task ListKeysAsync_LimitAndStartAfter_PageThroughAllKeysInOrder()
    {
        var keys = Enumerable.Range(0, 23).Select(i => $"item/{i:D3}").ToArray();
        foreach (var key in keys.Reverse())
        {
            await Storage.SetAsync(PluginA, key, Text(key));
        }

        await Storage.SetAsync(PluginA, "other", Text("x"));
        var pages = new List<IReadOnlyList<string>>();
        string? after = null;
        while (true)
        {
            var page = await Storage.ListKeysAsync(PluginA, prefix: "item/", startAfter: after, limit: 10);
            if (page.Count == 0)
            {
                break;
            }

            pages.Add(page);
            after = page[^1];
        }

        Assert.Equal([10, 10, 3], pages.Select(p => p.Count));
        Assert.Equal(keys, pages.SelectMany(p => p));
    }

    [Fact]
    public async Task ListKeysAsync_DefaultLimit_IsMaxListKeys()
    {
        var storage = CreateStorage(o => o.MaxListKeys = 3);
        foreach (var key in new[] { "d", "c", "b", "a", "e" })
        {
            await storage.SetAsync(PluginA, key, Text(key));
        }

        Assert.Equal(["a", "b", "c"], await storage.ListKeysAsync(PluginA));
        Assert.Equal(["a", "b"], await storage.ListKeysAsync(PluginA, limit: 2));
    }

    [Fact]
    public async Task ListKeysAsync_LimitOverMaxListKeys_ThrowsStorageLimitExceeded()
    {
        var error = await Assert.ThrowsAsync<StorageLimitExceededException>(() => Storage.ListKeysAsync(PluginA, limit: 1001));

        Assert.Equal(nameof(StorageOptions.MaxListKeys), error.OptionName);
        Assert.Equal(1000, error.Limit);
        Assert.Equal(1001, error.Actual);
        Assert.Contains("StorageOptions.MaxListKeys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListKeysAsync_LimitBelowOne_ThrowsArgumentOutOfRange()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Storage.ListKeysAsync(PluginA, limit: 0));
    }

    [Fact]
    public async Task Scopes_SameKeyInEachScope_AreIsolated()
    {
        var bots = StorageScope.Of("bots");
        StorageScope[] scopes = [PluginA, PluginB, StorageScope.Shared, bots];
        foreach (var scope in scopes)
        {
            await Storage.SetAsync(scope, "config", Text(scope.Value));
            await Storage.SetAsync(scope, $"only-in-{scope.PluginId ?? scope.Value}", Text("x"));
        }

        foreach (var scope in scopes)
        {
            Assert.Equal(scope.Value, Text(await Storage.GetAsync(scope, "config")));
            Assert.Equal(["config", $"only-in-{scope.PluginId ?? scope.Value}"], await Storage.ListKeysAsync(scope));
        }

        Assert.True(await Storage.DeleteAsync(PluginA, "config"));
        Assert.Null(await Storage.GetAsync(PluginA, "config"));
        Assert.Equal(PluginB.Value, Text(await Storage.GetAsync(PluginB, "config")));
        Assert.Equal(StorageScope.Shared.Value, Text(await Storage.GetAsync(StorageScope.Shared, "config")));
        Assert.Null(await Storage.GetAsync(StorageScope.ForPlugin("example.plugin-c"), "config"));
    }

    [Fact]
    public async Task Scopes_PluginIdNamedLikeANamedScope_DoesNotShareData()
    {
        await Storage.SetAsync(StorageScope.ForPlugin("shared"), "k", Text("plugin"));
        await Storage.SetAsync(StorageScope.Shared, "k", Text("shared"));

        Assert.Equal("plugin", Text(await Storage.GetAsync(StorageScope.ForPlugin("shared"), "k")));
        Assert.Equal("shared", Text(await Storage.GetAsync(StorageScope.Of("shared"), "k")));
    }

    [Fact]
    public async Task CompareAndSetAsync_NullExpectedAndKeyAbsent_CreatesKey()
    {
        var result = await Storage.CompareAndSetAsync(PluginA, "lock", null, Text("owner-1"));

        Assert.True(result.Succeeded);
        var entry = await Storage.GetAsync(PluginA, "lock");
        Assert.Equal("owner-1", Text(entry));
        Assert.Equal(result.CurrentVersion, entry!.Version);
    }

    [Fact]
    public async Task CompareAndSetAsync_NullExpectedAndKeyPresent_FailsWithCurrentVersion()
    {
        var version = await Storage.SetAsync(PluginA, "lock", Text("owner-1"));

        var result = await Storage.CompareAndSetAsync(PluginA, "lock", null, Text("owner-2"));

        Assert.Equal(new CompareAndSetResult(false, version), result);
        Assert.Equal("owner-1", Text(await Storage.GetAsync(PluginA, "lock")));
    }

    [Fact]
    public async Task CompareAndSetAsync_MatchingVersion_WritesWithGreaterVersion()
    {
        var version = await Storage.SetAsync(PluginA, "doc", Text("v1"));

        var result = await Storage.CompareAndSetAsync(PluginA, "doc", version, Text("v2"));

        Assert.True(result.Succeeded);
        Assert.True(result.CurrentVersion > version);
        var entry = await Storage.GetAsync(PluginA, "doc");
        Assert.Equal("v2", Text(entry));
        Assert.Equal(result.CurrentVersion, entry!.Version);
    }

    [Fact]
    public async Task CompareAndSetAsync_StaleVersion_FailsAndKeepsValue()
    {
        var first = await Storage.SetAsync(PluginA, "doc", Text("v1"));
        var second = await Storage.SetAsync(PluginA, "doc", Text("v2"));

        var result = await Storage.CompareAndSetAsync(PluginA, "doc", first, Text("lost update"));

        Assert.Equal(new CompareAndSetResult(false, second), result);
        Assert.Equal("v2", Text(await Storage.GetAsync(PluginA, "doc")));
    }

    [Fact]
    public async Task CompareAndSetAsync_VersionGivenButKeyAbsent_FailsWithNullVersion()
    {
        var result = await Storage.CompareAndSetAsync(PluginA, "ghost", 1, Text("x"));

        Assert.Equal(new CompareAndSetResult(false, null), result);
        Assert.Null(await Storage.GetAsync(PluginA, "ghost"));
    }

    [Fact]
    public async Task CompareAndSetAsync_VersionFromOtherScope_Fails()
    {
        var version = await Storage.SetAsync(PluginA, "doc", Text("a"));
        await Storage.SetAsync(PluginB, "doc", Text("b"));

        var result = await Storage.CompareAndSetAsync(PluginB, "doc", version, Text("b2"));

        Assert.False(result.Succeeded);
        Assert.Equal("b", Text(await Storage.GetAsync(PluginB, "doc")));
    }

    [Fact]
    public async Task CompareAndSetAsync_FiftyConcurrentContenders_ExactlyOneWinsEachRound()
    {
        const int Contenders = 50;
        const int Rounds = 6;
        var scope = StorageScope.Shared;
        long? expected = null;
        for (var round = 0; round < Rounds; round++)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var currentExpected = expected;
            var currentRound = round;
            var contenders = Enumerable.Range(0, Contenders)
                .Select(i => Task.Run(async () =>
                {
                    await gate.Task;
                    var result = await Storage.CompareAndSetAsync(scope, "leader", currentExpected, Text($"round {currentRound} contender {i}"));
                    return (Contender: i, Result: result);
                }))
                .ToArray();
            gate.SetResult();
            var results = await Task.WhenAll(contenders);

            var winner = Assert.Single(results, r => r.Result.Succeeded);
            var winnerVersion = winner.Result.CurrentVersion!.Value;
            Assert.All(results.Where(r => !r.Result.Succeeded), r => Assert.Equal(winnerVersion, r.Result.CurrentVersion));
            if (expected is { } previous)
            {
                Assert.True(winnerVersion > previous);
            }

            var entry = await Storage.GetAsync(scope, "leader");
            Assert.Equal($"round {round} contender {winner.Contender}", Text(entry));
            Assert.Equal(winnerVersion, entry!.Version);
            expected = winnerVersion;
        }
    }

    [Fact]
    public async Task SetAsync_ConcurrentWritersOnOneKey_EachGetsDistinctVersionAndLastIsHighest()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 50)
            .Select(i => Task.Run(async () =>
            {
                await gate.Task;
                return await Storage.SetAsync(PluginA, "hot", Text($"writer {i}"));
            }))
            .ToArray();
        gate.SetResult();
        var versions = await Task.WhenAll(writers);

        Assert.Equal(versions.Length, versions.Distinct().Count());
        var entry = await Storage.GetAsync(PluginA, "hot");
        Assert.Equal(versions.Max(), entry!.Version);
    }

    [Fact]
    public async Task SetAsync_ConcurrentWritersOnManyKeys_AllWritesLand()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 50)
            .Select(i => Task.Run(async () =>
            {
                await gate.Task;
                await Storage.SetAsync(PluginA, $"key/{i:D2}", Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return await Storage.GetAsync(PluginA, $"key/{i:D2}");
            }))
            .ToArray();
        gate.SetResult();
        var entries = await Task.WhenAll(writers);

        Assert.All(entries, Assert.NotNull);
        Assert.Equal(50, (await Storage.ListKeysAsync(PluginA, prefix: "key/")).Count);
    }

    [Fact]
    public async Task SetAsync_ValueAtLimit_RoundTrips()
    {
        var value = new byte[1024 * 1024];
        Random.Shared.NextBytes(value);

        await Storage.SetAsync(PluginA, "big", value);

        Assert.Equal(value, (await Storage.GetAsync(PluginA, "big"))!.Value.ToArray());
    }

    [Fact]
    public async Task SetAsync_ValueOverLimit_ThrowsStorageLimitExceededAndWritesNothing()
    {
        var error = await Assert.ThrowsAsync<StorageLimitExceededException>(
            () => Storage.SetAsync(PluginA, "big", new byte[(1024 * 1024) + 1]));

        Assert.Equal(nameof(StorageOptions.MaxValueBytes), error.OptionName);
        Assert.Equal(1024 * 1024, error.Limit);
        Assert.Equal((1024 * 1024) + 1, error.Actual);
        Assert.Contains("1,048,577 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("1,048,576 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("StorageOptions.MaxValueBytes", error.Message, StringComparison.Ordinal);
        Assert.Null(await Storage.GetAsync(PluginA, "big"));
    }

    [Fact]
    public async Task CompareAndSetAsync_ValueOverLimit_ThrowsStorageLimitExceededAndWritesNothing()
    {
        var version = await Storage.SetAsync(PluginA, "doc", Text("small"));

        var error = await Assert.ThrowsAsync<StorageLimitExceededException>(
            () => Storage.CompareAndSetAsync(PluginA, "doc", version, new byte[(1024 * 1024) + 1]));

        Assert.Equal(nameof(StorageOptions.MaxValueBytes), error.OptionName);
        Assert.Equal(version, (await Storage.GetAsync(PluginA, "doc"))!.Version);
    }

    [Fact]
    public async Task SetAsync_KeyAtLimitInUtf8Bytes_Succeeds()
    {
        var key = new string('k', 510) + "é"; // 512 bytes of UTF-8

        await Storage.SetAsync(PluginA, key, Text("x"));

        Assert.Equal("x", Text(await Storage.GetAsync(PluginA, key)));
    }

    [Fact]
    public async Task SetAsync_KeyOverLimitInUtf8Bytes_ThrowsStorageLimitExceeded()
    {
        var key = new string('日', 171); // 171 characters, 513 bytes of UTF-8

        var error = await Assert.ThrowsAsync<StorageLimitExceededException>(() => Storage.SetAsync(PluginA, key, Text("x")));

        Assert.Equal(nameof(StorageOptions.MaxKeyBytes), error.OptionName);
        Assert.Equal(512, error.Limit);
        Assert.Equal(513, error.Actual);
        Assert.Contains("StorageOptions.MaxKeyBytes", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StorageLimitExceededException>(() => Storage.GetAsync(PluginA, key));
        await Assert.ThrowsAsync<StorageLimitExceededException>(() => Storage.DeleteAsync(PluginA, key));
        await Assert.ThrowsAsync<StorageLimitExceededException>(() => Storage.CompareAndSetAsync(PluginA, key, null, Text("x")));
    }

    [Fact]
    public async Task SetAsync_CustomLimits_AreEnforced()
    {
        var storage = CreateStorage(o =>
        {
            o.MaxKeyBytes = 8;
            o.MaxValueBytes = 16;
        });

        await storage.SetAsync(PluginA, "12345678", new byte[16]);

        var value = await Assert.ThrowsAsync<StorageLimitExceededException>(() => storage.SetAsync(PluginA, "k", new byte[17]));
        var key = await Assert.ThrowsAsync<StorageLimitExceededException>(() => storage.SetAsync(PluginA, "123456789", new byte[1]));
        Assert.Equal((16, 17), (value.Limit, value.Actual));
        Assert.Equal((8, 9), (key.Limit, key.Actual));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SetAsync_InvalidKey_ThrowsArgumentException(int keyCase)
    {
        // By index: xunit cannot serialize strings with unpaired surrogates as theory data.
        var key = keyCase switch
        {
            0 => string.Empty,
            1 => "nul\0inside",
            2 => "lone \uD800 surrogate",
            _ => "reversed \uDC00\uD800 pair",
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Storage.SetAsync(PluginA, key, Text("x")));

        Assert.Equal("key", error.ParamName);
        Assert.Empty(await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task Operations_NullArguments_ThrowArgumentNullException()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Storage.GetAsync(null!, "k"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Storage.GetAsync(PluginA, null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Storage.ListKeysAsync(null!));
    }

    [Fact]
    public async Task Operations_CanceledToken_ThrowOperationCanceledAndWriteNothing()
    {
        var version = await Storage.SetAsync(PluginA, "kept", Text("original"));
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        var token = cancellation.Token;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.GetAsync(PluginA, "kept", token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.SetAsync(PluginA, "kept", Text("changed"), token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.SetAsync(PluginA, "new", Text("x"), token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.DeleteAsync(PluginA, "kept", token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.ListKeysAsync(PluginA, cancellationToken: token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Storage.CompareAndSetAsync(PluginA, "kept", version, Text("changed"), token));

        var entry = await Storage.GetAsync(PluginA, "kept");
        Assert.Equal("original", Text(entry));
        Assert.Equal(version, entry!.Version);
        Assert.Equal(["kept"], await Storage.ListKeysAsync(PluginA));
    }

    [Fact]
    public async Task Operations_CanceledOnFirstUse_LeaveStorageUsable()
    {
        var storage = CreateStorage();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.SetAsync(PluginA, "k", Text("x"), cancellation.Token));

        await storage.SetAsync(PluginA, "k", Text("y"));
        Assert.Equal("y", Text(await storage.GetAsync(PluginA, "k")));
    }

    [Fact]
    public async Task SetAsync_NewInstanceOverSameStore_SeesData()
    {
        var version = await Storage.SetAsync(PluginA, "durable", Text("still here"));

        var reopened = CreateStorage();
        var entry = await reopened.GetAsync(PluginA, "durable");

        Assert.Equal("still here", Text(entry));
        Assert.Equal(version, entry!.Version);
        Assert.True(await reopened.SetAsync(PluginA, "durable", Text("again")) > version);
    }

    protected static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    protected static string? Text(StorageEntry? entry) => entry is null ? null : Encoding.UTF8.GetString(entry.Value.Span);

    /// <summary>Unicode code point order, the order of UTF-8 bytes.</summary>
    protected static IComparer<string> CodePointOrder { get; } =
        Comparer<string>.Create((a, b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));
}
