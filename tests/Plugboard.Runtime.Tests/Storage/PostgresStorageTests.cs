using Microsoft.Extensions.Options;
using Npgsql;
using Plugboard.Runtime.Storage;

namespace Plugboard.Runtime.Tests.Storage;

/// <summary>
/// Runs <see cref="StorageTests"/> against <see cref="PostgresStorage"/> on a real PostgreSQL server named by
/// the PLUGBOARD_TEST_POSTGRES connection string, in a fresh schema per test that is dropped afterwards.
/// </summary>
public sealed class PostgresStorageTests : StorageTests
{
    public const string ConnectionStringVariable = "PLUGBOARD_TEST_POSTGRES";

    private readonly string _schema = "plugboard_test_" + Guid.NewGuid().ToString("N");
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource =>
        _dataSource ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public override async Task InitializeAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"{ConnectionStringVariable} is not set, so the PostgreSQL storage tests cannot run. Run `bash scripts/test.sh`, " +
                "which installs and starts PostgreSQL and sets it, or set it yourself to a connection string such as " +
                "'Host=127.0.0.1;Username=plugboard;Password=plugboard;Database=plugboard_test'.");
        }

        _dataSource = NpgsqlDataSource.Create(connectionString);
        await using var probe = await DataSource.OpenConnectionAsync();
    }

    public override async Task DisposeAsync()
    {
        if (_dataSource is null)
        {
            return;
        }

        await using (var drop = _dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await _dataSource.DisposeAsync();
    }

    protected override IPlugboardStorage CreateStorage(Action<StorageOptions>? configure = null) => Create(configure);

    [Fact]
    public async Task FirstCall_NewSchema_CreatesTablesAndSchemaVersion()
    {
        var storage = Create();
        Assert.Equal(0L, await ScalarAsync($"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{_schema}'"));

        await storage.SetAsync(StorageScope.Shared, "k", new byte[] { 1 });

        Assert.Equal(1, await ScalarAsync($"SELECT MAX(version) FROM \"{_schema}\".schema_version"));
        Assert.Equal(1L, await ScalarAsync($"SELECT COUNT(*) FROM \"{_schema}\".entries"));
    }

    [Fact]
    public async Task FirstCall_ManyInstancesAtOnce_AllInitializeTheSameSchema()
    {
        var storages = Enumerable.Range(0, 8).Select(_ => Create()).ToArray();

        var versions = await Task.WhenAll(storages.Select((s, i) => Task.Run(() => s.SetAsync(StorageScope.Shared, $"k{i}", new byte[] { (byte)i }))));

        Assert.Equal(8, versions.Distinct().Count());
        Assert.Equal(1L, await ScalarAsync($"SELECT COUNT(*) FROM \"{_schema}\".schema_version"));
    }

    [Fact]
    public async Task FirstCall_SchemaFromNewerPlugboard_ThrowsErrorNamingBothVersions()
    {
        await Create().SetAsync(StorageScope.Shared, "k", new byte[] { 1 });
        await ScalarAsync($"INSERT INTO \"{_schema}\".schema_version (version) VALUES (99)");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Create().GetAsync(StorageScope.Shared, "k"));

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade Plugboard", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("has-dash")]
    [InlineData("1starts_with_digit")]
    [InlineData("pg_reserved")]
    [InlineData("quote\"d")]
    public void Constructor_InvalidSchemaName_ThrowsErrorNamingTheOption(string schema)
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new PostgresStorage(DataSource, Options.Create(new PostgresStorageOptions { Schema = schema })));

        Assert.Contains("PostgresStorageOptions.Schema", error.Message, StringComparison.Ordinal);
    }

    private PostgresStorage Create(Action<StorageOptions>? configure = null)
    {
        var options = new PostgresStorageOptions { Schema = _schema };
        configure?.Invoke(options);
        return new PostgresStorage(DataSource, Options.Create(options));
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
