using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Storage;

/// <summary>Runs <see cref="StorageTests"/> against <see cref="SqliteStorage"/>, one temp folder per test.</summary>
public sealed class SqliteStorageTests : StorageTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "plugboard-tests", "storage-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteStorage> _created = [];

    protected override IPlugboardStorage CreateStorage(Action<StorageOptions>? configure = null) => Create(configure);

    public override async Task DisposeAsync()
    {
        foreach (var storage in _created)
        {
            await storage.DisposeAsync();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Constructor_BeforeFirstCall_TouchesNothingOnDisk()
    {
        var storage = Create();

        Assert.False(Directory.Exists(_folder));
        await storage.GetAsync(StorageScope.Shared, "k");
        Assert.True(File.Exists(storage.DatabasePath));
        Assert.Equal(Path.Combine(_folder, SqliteStorageOptions.DefaultFileName), storage.DatabasePath);
    }

    [Fact]
    public async Task FirstCall_NewFile_CreatesWalDatabaseWithSchemaVersion()
    {
        var storage = Create();
        await storage.SetAsync(StorageScope.Shared, "k", new byte[] { 1 });

        await using var connection = await OpenRawAsync(storage.DatabasePath);
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal(1L, await ScalarAsync(connection, "SELECT MAX(version) FROM schema_version"));
        Assert.Equal(1L, await ScalarAsync(connection, "SELECT COUNT(*) FROM entries"));
    }

    [Fact]
    public async Task FirstCall_DatabaseFromNewerPlugboard_ThrowsErrorNamingBothVersions()
    {
        await Create().SetAsync(StorageScope.Shared, "k", new byte[] { 1 });
        await using (var connection = await OpenRawAsync(Path.Combine(_folder, SqliteStorageOptions.DefaultFileName)))
        {
            await ScalarAsync(connection, "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Create().GetAsync(StorageScope.Shared, "k"));

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("up to 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade Plugboard", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FirstCall_FileIsNotADatabase_ThrowsErrorNamingTheFile()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, SqliteStorageOptions.DefaultFileName);
        await File.WriteAllTextAsync(path, new string('x', 4096));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Create().GetAsync(StorageScope.Shared, "k"));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public async Task Operations_TwoInstancesOnOneFile_CompareAndSetStaysAtomic()
    {
        var first = Create();
        var second = Create();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var contenders = Enumerable.Range(0, 20)
            .Select(i => Task.Run(async () =>
            {
                await gate.Task;
                var storage = i % 2 == 0 ? first : second;
                return await storage.CompareAndSetAsync(StorageScope.Shared, "leader", null, new byte[] { (byte)i });
            }))
            .ToArray();
        gate.SetResult();

        var results = await Task.WhenAll(contenders);

        Assert.Single(results, r => r.Succeeded);
    }

    [Fact]
    public void Constructor_NoDataDirectory_ThrowsErrorNamingTheOption()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new SqliteStorage(Options.Create(new SqliteStorageOptions())));

        Assert.Contains("SqliteStorageOptions.DataDirectory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sub/storage.db")]
    [InlineData("..")]
    [InlineData("")]
    public void Constructor_FileNameNotAPlainName_ThrowsErrorNamingTheOption(string fileName)
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = _folder, FileName = fileName })));

        Assert.Contains("SqliteStorageOptions.FileName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_AfterDispose_ThrowObjectDisposed()
    {
        var storage = Create();
        await storage.SetAsync(StorageScope.Shared, "k", new byte[] { 1 });

        await storage.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.GetAsync(StorageScope.Shared, "k"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.SetAsync(StorageScope.Shared, "k", new byte[] { 2 }));
    }

    private SqliteStorage Create(Action<StorageOptions>? configure = null)
    {
        var options = new SqliteStorageOptions { DataDirectory = _folder };
        configure?.Invoke(options);
        var storage = new SqliteStorage(Options.Create(options));
        _created.Add(storage);
        return storage;
    }

    private static async Task<SqliteConnection> OpenRawAsync(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
