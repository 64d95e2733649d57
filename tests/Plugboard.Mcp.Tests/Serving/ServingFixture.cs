using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Plugboard.Mcp.Tests.Infrastructure;
using Plugboard.Protocol.Contracts;
using Plugboard.Runtime;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Mcp.Serving;

namespace Plugboard.Mcp.Tests.Serving;

/// <summary>
/// A runtime with server-everything, the fixture server and a plugin-like native tool source (<c>acme.weather/*</c>),
/// served by <see cref="PlugboardMcpServer"/> to official SDK clients over in-memory pipes.
/// </summary>
public sealed class ServingFixture : IAsyncLifetime
{
    private readonly List<(McpClient Client, Task Session, CancellationTokenSource Stop)> _sessions = [];
    private readonly Dictionary<McpClient, McpProgressTransport> _transports = [];

    public McpRuntimeFixture Runtimes { get; } = new();

    public PlugboardRuntime Runtime { get; private set; } = null!;

    public PlugboardMcpServer Server { get; private set; } = null!;

    public McpServeOptions Options { get; } = new();

    public async Task InitializeAsync()
    {
        Options.ExcludedTools.Add("mcp.everything.get-env");
        Runtime = await Runtimes.StartRuntimeAsync();
        await Task.WhenAll(
            McpRuntimeFixture.AddRunningAsync(Runtime, McpRuntimeFixture.Everything()),
            McpRuntimeFixture.AddRunningAsync(Runtime, McpRuntimeFixture.FixtureServer()));
        var schema = McpRuntimeFixture.Json("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""");
        Runtime.SetToolSource("acme.weather", [new NativeTool("acme.weather/forecast", new ToolDescriptor("forecast", "Weather forecast", schema), (args, progress, _) =>
        {
            progress?.Report(JsonSerializer.SerializeToElement("looking up"));
            progress?.Report(JsonSerializer.SerializeToElement("done"));
            var city = args.GetProperty("city").GetString();
            return Task.FromResult(JsonSerializer.SerializeToElement(new Dictionary<string, object?> { ["city"] = city, ["sky"] = "clear" }));
        })]);
        Server = new PlugboardMcpServer(Runtime, Runtime, Options, NullLoggerFactory.Instance);
    }

    /// <summary>Opens a session with the official client over in-memory pipes.</summary>
    public async Task<McpClient> ConnectAsync(McpClientOptions? options = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var transport = new StreamServerTransport(toServer.Reader.AsStream(), toClient.Writer.AsStream(), "plugboard-test", NullLoggerFactory.Instance);
        var stop = new CancellationTokenSource();
        var session = Server.RunSessionAsync(transport, "in-memory", stop.Token);
        // The ordered transport of the runtime: the SDK client alone may handle a progress after the response.
        var ordered = new McpProgressTransport(new StreamClientTransport(toServer.Writer.AsStream(), toClient.Reader.AsStream(), NullLoggerFactory.Instance));
        var client = await McpClient.CreateAsync(ordered, options ?? new McpClientOptions { ClientInfo = new Implementation { Name = "test-client", Version = "1.0" } });
        _sessions.Add((client, session, stop));
        _transports[client] = ordered;
        return client;
    }

    /// <summary>Calls a tool with a progress token; returns the result and the progress notifications in wire order.</summary>
    public async Task<(CallToolResult Result, IReadOnlyList<JsonElement> Progress)> CallWithProgressAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var progress = new List<JsonElement>();
        var (token, registration) = _transports[client].Listen(new ListProgress(progress));
        using (registration)
        {
            var parameters = new CallToolRequestParams
            {
                Name = tool,
                Arguments = arguments.ToDictionary(a => a.Key, a => JsonSerializer.SerializeToElement(a.Value), StringComparer.Ordinal),
                Meta = new System.Text.Json.Nodes.JsonObject { ["progressToken"] = token },
            };
            var result = await client.CallToolAsync(parameters);
            lock (progress)
            {
                return (result, [.. progress]);
            }
        }
    }

    private sealed class ListProgress(List<JsonElement> target) : IProgress<JsonElement>
    {
        public void Report(JsonElement value)
        {
            lock (target)
            {
                target.Add(value);
            }
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (client, session, stop) in _sessions)
        {
            await client.DisposeAsync();
            await stop.CancelAsync();
            try
            {
                await session.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or IOException)
            {
            }

            stop.Dispose();
        }

        Server?.Dispose();
        await Runtimes.DisposeAsync();
    }
}
