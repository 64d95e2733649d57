using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Plugboard.Runtime.Storage;

/// <summary>
/// <see cref="IPlugboardStorage"/> in PostgreSQL, for runtimes that already run a database server or share storage
/// between several runtime processes.
/// </summary>
/// <remarks>
/// The schema (<see cref="PostgresStorageOptions.Schema"/>) and its tables are created on first use, under an
/// advisory lock so that several runtimes may start at once. Every operation is one SQL statement except the
/// report of the current version after a failed compare-and-set; compare-and-set itself is a single
/// <c>UPDATE ... WHERE version = @expected</c> or <c>INSERT ... ON CONFLICT DO NOTHING</c>. Versions come from a
/// sequence. The data source belongs to the caller, who disposes it.
/// </remarks>
public sealed class PostgresStorage : IPlugboardStorage
{
    /// <summary>The schema version this build creates and understands.</summary>
    internal const int SchemaVersion = 1;

    private const string Provider = "PostgreSQL";

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresStorageOptions _options;
    private readonly ILogger _logger;
    private readonly string _location;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly string _entries;
    private readonly string _sequence;
    private volatile bool _initialized;

    /// <summary>Creates the storage. Nothing is sent to the server until the first call.</summary>
    /// <param name="dataSource">Connections to the database; owned by the caller.</param>
    /// <param name="options">The schema name and the limits.</param>
    /// <param name="logger">Receives storage events; never values.</param>
    /// <exception cref="InvalidOperationException">An option is out of range; the message names it.</exception>
    public PostgresStorage(NpgsqlDataSource dataSource, IOptions<PostgresStorageOptions> options, ILogger<PostgresStorage>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options.Value;
        _options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        _location = $"{settings.Host}:{settings.Port}/{settings.Database} schema {_options.Schema}";
        _entries = $"\"{_options.Schema}\".entries";
        _sequence = $"\"{_options.Schema}\".entry_versions";
    }

    /// <summary>The schema that holds the storage tables.</summary>
    public string Schema => _options.Schema;

    /// <inheritdoc/>
    public async Task<StorageEntry?> GetAsync(StorageScope scope, string key, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        await EnsureInitializedAsync(cancellationToken);
        await using var command = Command($"SELECT value, version FROM {_entries} WHERE scope = $1 AND key = $2", scope, key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StorageEntry(reader.GetFieldValue<byte[]>(0), reader.GetInt64(1));
    }

    /// <inheritdoc/>
    public async Task<long> SetAsync(StorageScope scope, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        StorageGuard.Value(scope, value, _options, _logger);
        await EnsureInitializedAsync(cancellationToken);

        // The version in DO UPDATE is drawn after the row lock is taken, so it is greater than the version of any
        // write that committed before: versions of a key only grow, even under concurrent writers.
        await using var command = Command(
            $"""
            INSERT INTO {_entries} (scope, key, value, version) VALUES ($1, $2, $3, nextval('{_sequence}'))
            ON CONFLICT (scope, key) DO UPDATE SET value = EXCLUDED.value, version = nextval('{_sequence}'), updated_at = now()
            RETURNING version
            """,
            scope,
            key);
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = value });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(StorageScope scope, string key, CancellationToken cancellationToken = default)
    {
        StorageGuard.Key(scope, key, _options, _logger);
        await EnsureInitializedAsync(cancellationToken);
        await using var command = Command($"DELETE FROM {_entries} WHERE scope = $1 AND key = $2", scope, key);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
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
        await EnsureInitializedAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand();
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = take });
        var sql = $"SELECT key FROM {_entries} WHERE scope = $1";
        if (!string.IsNullOrEmpty(prefix))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
            sql += $" AND key >= ${command.Parameters.Count}";
            if (StorageGuard.PrefixUpperBound(prefix) is { } upper)
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = upper });
                sql += $" AND key < ${command.Parameters.Count}";
            }
        }

        if (startAfter is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = startAfter });
            sql += $" AND key > ${command.Parameters.Count}";
        }

        command.CommandText = sql + " ORDER BY key LIMIT $2";
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
        await EnsureInitializedAsync(cancellationToken);

        // A failed insert-if-absent reads the winner's version in a new statement (so with a new snapshot). If the
        // winner's row is gone by then, the key is absent again and the insert is retried.
        for (var attempt = 0; ; attempt++)
        {
            long? written;
            if (expectedVersion is { } expected)
            {
                await using var update = Command(
                    $"UPDATE {_entries} SET value = $3, version = nextval('{_sequence}'), updated_at = now() WHERE scope = $1 AND key = $2 AND version = $4 RETURNING version",
                    scope,
                    key);
                update.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = value });
                update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
                written = (long?)await update.ExecuteScalarAsync(cancellationToken);
            }
            else
            {
                await using var insert = Command(
                    $"INSERT INTO {_entries} (scope, key, value, version) VALUES ($1, $2, $3, nextval('{_sequence}')) ON CONFLICT (scope, key) DO NOTHING RETURNING version",
                    scope,
                    key);
                insert.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = value });
                written = (long?)await insert.ExecuteScalarAsync(cancellationToken);
            }

            if (written is { } version)
            {
                return new CompareAndSetResult(true, version);
            }

            await using var read = Command($"SELECT version FROM {_entries} WHERE scope = $1 AND key = $2", scope, key);
            var current = (long?)await read.ExecuteScalarAsync(cancellationToken);
            if (current is null && expectedVersion is null && attempt < 10)
            {
                continue;
            }

            StorageLog.CompareAndSetConflict(_logger, scope.Value, key, expectedVersion, current);
            return new CompareAndSetResult(false, current);
        }
    }

    private NpgsqlCommand Command(string sql, StorageScope scope, string key)
    {
        var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = scope.Value });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        return command;
    }

    private async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                await MigrateAsync(cancellationToken);
            }
            catch (PostgresException ex)
            {
                StorageLog.InitializationFailed(_logger, Provider, _location, ex);
                throw new InvalidOperationException(
                    $"The PostgreSQL storage schema \"{_options.Schema}\" could not be created or read ({_location}): {ex.MessageText} " +
                    "Check that the connecting role may create schemas and tables in the database (or create the schema in advance and grant it), " +
                    "or set PostgresStorageOptions.Schema to a schema it owns.",
                    ex);
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var schema = $"\"{_options.Schema}\"";
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var advisoryLock = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('plugboard.storage:' || $1, 0))", connection, transaction))
        {
            advisoryLock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.Schema });
            await advisoryLock.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var prepare = new NpgsqlCommand(
            $"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """,
            connection,
            transaction))
        {
            await prepare.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {schema}.schema_version", connection, transaction))
        {
            current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        }

        if (current > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL storage schema \"{_options.Schema}\" ({_location}) has schema version {current}, but this Plugboard understands versions up to {SchemaVersion}. " +
                "Upgrade Plugboard, or set PostgresStorageOptions.Schema to another schema.");
        }

        if (current < 1)
        {
            // Keys and scopes use the "C" collation: byte order of UTF-8, which is Unicode code point order, the
            // same order as SQLite's and independent of the database's locale.
            await using var v1 = new NpgsqlCommand(
                $"""
                CREATE SEQUENCE {_sequence};
                CREATE TABLE {_entries} (
                    scope text COLLATE "C" NOT NULL,
                    key text COLLATE "C" NOT NULL,
                    value bytea NOT NULL,
                    version bigint NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (scope, key)
                );
                INSERT INTO {schema}.schema_version (version) VALUES (1);
                """,
                connection,
                transaction);
            await v1.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (current < SchemaVersion)
        {
            StorageLog.SchemaUpgraded(_logger, Provider, _location, current, SchemaVersion);
        }

        StorageLog.StorageReady(_logger, Provider, _location, SchemaVersion);
    }
}
