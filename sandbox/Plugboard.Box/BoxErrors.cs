using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box;

/// <summary>The Box's typed errors: a stable <see cref="PlugboardErrorCodes"/> code, a message that says what to do, and a data object.</summary>
internal static class BoxErrors
{
    public static JsonRpcException Unauthorized(string message)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxUnauthorized, message);

    public static JsonRpcException InvalidRequest(string field, string message)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxInvalidRequest, message, ("field", field));

    public static JsonRpcException SessionNotFound(string sessionId)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxSessionNotFound, $"No session '{sessionId}'. Create it with session/create or run session/exec, which creates it.", ("sessionId", sessionId));

    public static JsonRpcException SessionConflict(string sessionId, IReadOnlyList<string> fields)
        => JsonRpcException.WithData(
            PlugboardErrorCodes.BoxSessionConflict,
            $"Session '{sessionId}' exists with a different {string.Join(", ", fields)}. Use another session id, or delete the session first.",
            ("sessionId", sessionId),
            ("fields", string.Join(",", fields)));

    public static JsonRpcException SessionLimit(int max)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxSessionLimitReached, $"The Box already runs its maximum of {max} sessions. Delete an idle session (session/delete) or raise Box:MaxSessions.", ("maxSessions", max.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static JsonRpcException MountRejected(string path, string reason)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxMountRejected, $"Mount of '{path}' rejected: {reason}", ("path", path), ("reason", reason));

    public static JsonRpcException ProfileViolation(string profile, string field, string message)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxProfileViolation, message, ("profile", profile), ("field", field));

    public static JsonRpcException BackendUnavailable(string message)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxBackendUnavailable, message);

    public static JsonRpcException BackendError(string backend, string message)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxBackendError, message, ("backend", backend));

    public static JsonRpcException ProcessNotFound(string sessionId, string processId)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxProcessNotFound, $"No managed process '{processId}' in session '{sessionId}'.", ("sessionId", sessionId), ("processId", processId));

    public static JsonRpcException ProcessConflict(string sessionId, string processId)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxProcessConflict, $"A managed process '{processId}' is already running in session '{sessionId}'; stop it first or pick another id.", ("sessionId", sessionId), ("processId", processId));

    public static JsonRpcException FileAccessDenied(string path, string reason)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxFileAccessDenied, $"File access to '{path}' refused: {reason}", ("path", path), ("reason", reason));

    public static JsonRpcException FileNotFound(string path)
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxFileNotFound, $"'{path}' does not exist in the session.", ("path", path));

    public static JsonRpcException ShuttingDown()
        => JsonRpcException.WithData(PlugboardErrorCodes.BoxShuttingDown, "The Box is shutting down and accepts no new work.");
}
