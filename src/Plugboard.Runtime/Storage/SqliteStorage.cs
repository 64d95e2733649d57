using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Plugboard.Runtime.Storage;

/// <summary>
/// <see cref="IPlugboardStorage"/> in a SQLite database file in the runtime's data folder: the embedded default.
/// </summary>
/// <remarks>
/// The file, its folder and its tables are created on first use. The database runs in WAL mode, so reads go on
/// while a write is in progress. Writes of this instance are serialized in-process (SQLite has one writer at a time
/// anyway), and each runs in an immediate transaction, so other processes that open the same file stay consistent.
/// </remarks>
public sealed class SqliteStorage : IPlugboardStorage, IAsyncDisposable, IDisposable
{
    /// <summary>The schema version this build creates and understands.</summary>
    internal const int SchemaVersion = 1;

    private const string Provider = "SQLite";

    private readonly SqliteStorageOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;
    private volatile bool _disposed;

    /// <summary>Creates the storage. Nothing touches the disk until the first call.</summary>
    /// <param name="options">Where the database file is, and the limits.</param>
    /// <param name="logger">Receives storage events; never values.</param>
    /// <exception cref="InvalidOperationException">An option is missing or out of range; the message names it.</exception>
    public SqliteStorage(IOptions<SqliteStorageOptions> options, ILogger<SqliteStorage>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        DatabasePath = Path.GetFullPath(Path.Combine(_options.DataDirectory!, _options.FileName));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = _options.BusyTimeoutSeconds,
        }.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc/>
    public async Task<StorageEntry?> GetAsync(StorageScope scope, string key, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadEntryAsync(connection, scope, key, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<long> SetAsync(StorageScope scope, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        StorageGuard.Value(scope, value, _options, _logger);
        return await WriteAsync(
            async (connection, transaction) => await UpsertAsync(connection, transaction, scope, key, value, cancellationToken),
            cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(StorageScope scope, string key, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        return await WriteAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, "DELETE FROM entries WHERE scope = $scope AND key = $key");
                command.Parameters.AddWithValue("$scope", scope.Value);
                command.Parameters.AddWithValue("$key", key);
                return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListKeysAsync(
        StorageScope scope,
        string? prefix = null,
        string? startAfter = null,
        int? limit = null,
        CancellationToken cancellationToken = default)
    {
        var take = StorageGuard.List(scope, prefix, startAfter, limit, _options, _logger);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, string.Empty);
        var sql = "SELECT key FROM entries WHERE scope = $scope";
        command.Parameters.AddWithValue("$scope", scope.Value);
        if (!string.IsNullOrEmpty(prefix))
        {
            sql += " AND key >= $prefix";
            command.Parameters.AddWithValue("$prefix", prefix);
            if (StorageGuard.PrefixUpperBound(prefix) is { } upper)
            {
                sql += " AND key < $upper";
                command.Parameters.AddWithValue("$upper", upper);
            }
        }

        if (startAfter is not null)
        {
            sql += " AND key > $after";
            command.Parameters.AddWithValue("$after", startAfter);
        }

        command.CommandText = sql + " ORDER BY key LIMIT $limit";
        command.Parameters.AddWithValue("$limit", take);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <inheritdoc/>
    public async Task<CompareAndSetResult> CompareAndSetAsync(
        StorageScope scope,
        string key,
        long? expectedVersion,
        ReadOnlyMemory<byte> value,
        CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        StorageGuard.Value(scope, value, _options, _logger);
        return await WriteAsync(
            async (connection, transaction) =>
            {
                await using var command = Command(connection, transaction, "SELECT version FROM entries WHERE scope = $scope AND key = $key");
                command.Parameters.AddWithValue("$scope", scope.Value);
                command.Parameters.AddWithValue("$key", key);
                var current = await command.ExecuteScalarAsync(cancellationToken) is long found ? found : (long?)null;
                if (current != expectedVersion)
                {
                    StorageLog.CompareAndSetConflict(_logger, scope.Value, key, expectedVersion, current);
                    return new CompareAndSetResult(false, current);
                }

                var version = await UpsertAsync(connection, transaction, scope, key, value, cancellationToken);
                return new CompareAndSetResult(true, version);
            },
            cancellationToken);
    }

    /// <summary>Closes the pooled connections to the database file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
    }

    /// <summary>Closes the pooled connections to the database file.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task<StorageEntry?> ReadEntryAsync(
        SqliteConnection connection, StorageScope scope, string key, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "SELECT value, version FROM entries WHERE scope = $scope AND key = $key");
        command.Parameters.AddWithValue("$scope", scope.Value);
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var value = reader.IsDBNull(0) ? [] : reader.GetFieldValue<byte[]>(0);
        return new StorageEntry(value, reader.GetInt64(1));
    }

    private static async Task<long> UpsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, StorageScope scope, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        long version;
        await using (var next = Command(connection, transaction, "UPDATE version_counter SET last_version = last_version + 1 WHERE id = 1 RETURNING last_version"))
        {
            version = (long)(await next.ExecuteScalarAsync(cancellationToken))!;
        }

        await using var upsert = Command(
            connection,
            transaction,
            """
            INSERT INTO entries (scope, key, value, version, updated_at) VALUES ($scope, $key, $value, $version, $now)
            ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at
            """);
        upsert.Parameters.AddWithValue("$scope", scope.Value);
        upsert.Parameters.AddWithValue("$key", key);
        upsert.Parameters.Add("$value", SqliteType.Blob).Value = AsArray(value);
        upsert.Parameters.AddWithValue("$version", version);
        upsert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await upsert.ExecuteNonQueryAsync(cancellationToken);
        return version;
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            // BEGIN IMMEDIATE: take the database's write lock up front, so a read inside the transaction (the
            // version check of compare-and-set) cannot be invalidated by another process before the write.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await write(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
                await using var connection = new SqliteConnection(_connectionString);
                await connection.OpenAsync(cancellationToken);
                await MigrateAsync(connection, cancellationToken);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                StorageLog.InitializationFailed(_logger, Provider, DatabasePath, ex);
                throw new InvalidOperationException(
                    $"The SQLite storage database '{DatabasePath}' could not be opened or created: {ex.Message} " +
                    "Check that the data folder is writable and the file is a Plugboard storage database, or point SqliteStorageOptions.DataDirectory elsewhere.",
                    ex);
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using (var wal = Command(connection, null, "PRAGMA journal_mode = WAL"))
        {
            var mode = Convert.ToString(await wal.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) ?? string.Empty;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                StorageLog.WalUnavailable(_logger, DatabasePath, mode);
            }
        }

        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var create = Command(
            connection,
            transaction,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var read = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version"))
        {
            current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        if (current > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite storage database '{DatabasePath}' has schema version {current}, but this Plugboard understands versions up to {SchemaVersion}. " +
                "Upgrade Plugboard, or point SqliteStorageOptions.DataDirectory at another folder.");
        }

        if (current < 1)
        {
            await using var v1 = Command(
                connection,
                transaction,
                """
                CREATE TABLE entries (
                    scope TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value BLOB NOT NULL,
                    version INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;
                CREATE TABLE version_counter (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), last_version INTEGER NOT NULL);
                INSERT INTO version_counter (id, last_version) VALUES (1, 0);
                INSERT INTO schema_version (version, applied_at) VALUES (1, $now);
                """);
            v1.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await v1.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (current < SchemaVersion)
        {
            StorageLog.SchemaUpgraded(_logger, Provider, DatabasePath, current, SchemaVersion);
        }

        StorageLog.StorageReady(_logger, Provider, DatabasePath, SchemaVersion);
    }
}
