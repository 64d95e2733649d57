namespace Plugboard.Box.Contracts;

/// <summary>
/// Method names of the Box protocol (<c>area/verb</c>), spoken over stdio (Content-Length framing) or a WebSocket.
/// Every connection must call <see cref="Hello"/> with the Box token before anything else.
/// </summary>
public static class BoxMethods
{
    /// <summary>The Box protocol version this assembly speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>Authenticates the connection and negotiates the protocol (<see cref="BoxHelloParams"/> → <see cref="BoxHelloResult"/>).</summary>
    public const string Hello = "box/hello";

    /// <summary>Liveness check, answered with an empty object (same name as the plugin protocol's ping).</summary>
    public const string Ping = "$/ping";

    /// <summary>Whether the Box can run work now (→ <see cref="BoxHealth"/>).</summary>
    public const string Health = "box/health";

    /// <summary>Backend, sessions, limits and recent errors (→ <see cref="BoxStatus"/>).</summary>
    public const string Status = "box/status";

    /// <summary>Every backend with its availability (→ <see cref="BoxBackendInfo"/>[]).</summary>
    public const string Backends = "box/backends";

    /// <summary>Removes everything the Box created (sessions, containers, managed processes), answers, then exits.</summary>
    public const string Shutdown = "box/shutdown";

    /// <summary>Creates a session, or returns the existing compatible one (<see cref="BoxSessionSpec"/> → <see cref="BoxSessionInfo"/>).</summary>
    public const string SessionCreate = "session/create";

    /// <summary>One session (<see cref="BoxSessionRef"/> → <see cref="BoxSessionInfo"/>).</summary>
    public const string SessionGet = "session/get";

    /// <summary>Every session (→ <see cref="BoxSessionInfo"/>[]).</summary>
    public const string SessionList = "session/list";

    /// <summary>Deletes a session and everything in it (<see cref="BoxSessionRef"/> → <see cref="BoxDeleteResult"/>).</summary>
    public const string SessionDelete = "session/delete";

    /// <summary>Runs a command in a session, creating the session on first use (<see cref="BoxExecParams"/> → <see cref="BoxExecResult"/>).</summary>
    public const string Exec = "session/exec";

    /// <summary>Starts a long-running managed process whose stdin/stdout are relayed over a WebSocket (<see cref="BoxProcessStartParams"/> → <see cref="BoxProcessInfo"/>).</summary>
    public const string ProcessStart = "process/start";

    /// <summary>One managed process (<see cref="BoxProcessRef"/> → <see cref="BoxProcessInfo"/>).</summary>
    public const string ProcessGet = "process/get";

    /// <summary>The managed processes of a session (<see cref="BoxSessionRef"/> → <see cref="BoxProcessInfo"/>[]).</summary>
    public const string ProcessList = "process/list";

    /// <summary>Stops a managed process and its children (<see cref="BoxProcessRef"/> → <see cref="BoxProcessInfo"/>).</summary>
    public const string ProcessStop = "process/stop";

    /// <summary>Reads a file inside the session, never following a symlink (<see cref="BoxFileReadParams"/> → <see cref="BoxFileReadResult"/>).</summary>
    public const string FileRead = "file/read";

    /// <summary>Writes a file inside the session, never following a symlink (<see cref="BoxFileWriteParams"/> → <see cref="BoxFileWriteResult"/>).</summary>
    public const string FileWrite = "file/write";
}

/// <summary>Names of the sandbox backends.</summary>
public static class BoxBackendNames
{
    /// <summary>Docker Engine API 1.41 over its unix socket; one hardened container per session.</summary>
    public const string Docker = "docker";

    /// <summary>bubblewrap (<c>bwrap</c>): namespaces on the host's read-only system folders; one jail per command.</summary>
    public const string Bubblewrap = "bubblewrap";

    /// <summary>nsjail: namespaces, rlimits, cgroups and seccomp; used when its binary exists.</summary>
    public const string Nsjail = "nsjail";

    /// <summary>Pick the first available of Docker, bubblewrap, nsjail (in that order), and re-pick when it goes away.</summary>
    public const string Auto = "auto";
}

/// <summary>Names of the built-in profiles.</summary>
public static class BoxProfileNames
{
    /// <summary>No network, writable workspace, moderate limits.</summary>
    public const string Default = "default";

    /// <summary>No network (locked), host mounts read-only (locked), small limits.</summary>
    public const string OfflineReadOnly = "offline-readonly";

    /// <summary>Network on, moderate limits.</summary>
    public const string NetworkBasic = "network-basic";

    /// <summary>Network on, larger limits and longer timeouts.</summary>
    public const string NetworkExtended = "network-extended";
}
