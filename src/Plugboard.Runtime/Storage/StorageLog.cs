using Microsoft.Extensions.Logging;

namespace Plugboard.Runtime.Storage;

/// <summary>Log messages of the storage implementations. Values are never logged.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Storage ready: {Provider} at {Location}, schema version {SchemaVersion}")]
    public static partial void StorageReady(ILogger logger, string provider, string location, int schemaVersion);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Storage schema of {Provider} at {Location} upgraded from version {FromVersion} to {ToVersion}")]
    public static partial void SchemaUpgraded(ILogger logger, string provider, string location, int fromVersion, int toVersion);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "SQLite storage at {Location} runs in journal mode '{JournalMode}' instead of WAL; readers and the writer will block each other")]
    public static partial void WalUnavailable(ILogger logger, string location, string journalMode);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Storage {Provider} at {Location} could not be initialized")]
    public static partial void InitializationFailed(ILogger logger, string provider, string location, Exception exception);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Debug, Message = "Compare-and-set of key {Key} in scope {Scope} failed: expected version {ExpectedVersion}, found {CurrentVersion}")]
    public static partial void CompareAndSetConflict(ILogger logger, string scope, string key, long? expectedVersion, long? currentVersion);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "Storage call in scope {Scope} rejected: the {What} ({Actual}) is over the limit of {Limit} set by StorageOptions.{OptionName}")]
    public static partial void LimitExceeded(ILogger logger, string scope, string what, string optionName, long limit, long actual);
}
