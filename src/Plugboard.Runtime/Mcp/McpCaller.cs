// Sampling and logging are deprecated from MCP 2026-07-28 (SEP-2577, MCP9005) but part of the 2025 revisions that
// servers and clients still speak; Plugboard relays them for those peers.
#pragma warning disable MCP9005

using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace Plugboard.Runtime.Mcp;

/// <summary>
/// The MCP client on whose behalf a registry call runs, when it came in through <c>PlugboardMcpServer</c>: what a hosted
/// server asks during that call (<c>sampling/createMessage</c>, <c>elicitation/create</c>) and the log messages it sends
/// (<c>notifications/message</c>) are relayed to that client. It flows with the call as an async-local value from the
/// MCP server's handler, through the registry, into the hosted server's supervisor.
/// </summary>
internal sealed class McpCaller
{
    private static readonly AsyncLocal<McpCaller?> CurrentCaller = new();
    private readonly Lock _lock = new();
    private Task _logTail = Task.CompletedTask;

    /// <param name="session">Identifies the MCP session (calls of one session share it).</param>
    /// <param name="sample">Asks the client to sample; null when it did not declare sampling.</param>
    /// <param name="elicit">Asks the client's user; null when it did not declare elicitation.</param>
    /// <param name="log">Sends a <c>notifications/message</c> to the client.</param>
    public McpCaller(
        object session,
        Func<CreateMessageRequestParams, CancellationToken, ValueTask<CreateMessageResult>>? sample,
        Func<ElicitRequestParams, CancellationToken, ValueTask<ElicitResult>>? elicit,
        Func<JsonNode?, Task> log)
    {
        Session = session;
        Sample = sample;
        Elicit = elicit;
        Log = log;
    }

    /// <summary>The caller of the current async flow, if any.</summary>
    public static McpCaller? Current
    {
        get => CurrentCaller.Value;
        set => CurrentCaller.Value = value;
    }

    public object Session { get; }

    public Func<CreateMessageRequestParams, CancellationToken, ValueTask<CreateMessageResult>>? Sample { get; }

    public Func<ElicitRequestParams, CancellationToken, ValueTask<ElicitResult>>? Elicit { get; }

    private Func<JsonNode?, Task> Log { get; }

    /// <summary>Queues a log message for the client, keeping the order in which the hosted server sent them.</summary>
    public void Relay(JsonNode? parameters)
    {
        lock (_lock)
        {
            _logTail = _logTail.ContinueWith(_ => Log(parameters), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Completes when every relayed log message was sent (before the call's response).</summary>
    public async Task FlushAsync()
    {
        Task tail;
        lock (_lock)
        {
            tail = _logTail;
        }

        try
        {
            await tail.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The client went away; its response will not arrive either.
        }
    }
}
