using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;
using Plugboard.Runtime.Storage;

// The conformance suite starts this program once per client scenario with the scenario server's URL as the last
// argument (and MCP_CONFORMANCE_SCENARIO naming the scenario). Plugboard's MCP client is exercised exactly as a host
// uses it: the server becomes a hosted MCP server of an embedded runtime, and its tools are called through the registry.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Plugboard.Mcp.ConformanceClient <server-url>");
    return 2;
}

var url = args[^1];
var scenario = Environment.GetEnvironmentVariable("MCP_CONFORMANCE_SCENARIO") ?? "(none)";
var data = Path.Combine(Path.GetTempPath(), "plugboard-conformance-client-" + Guid.NewGuid().ToString("N")[..12]);
var options = new PlugboardOptions { DataDirectory = data };
options.Supervisor.ReadyTimeout = TimeSpan.FromSeconds(20);
options.Supervisor.PingInterval = TimeSpan.FromMinutes(5);
options.Supervisor.CrashBudget = 1;
var storage = new SqliteStorage(Options.Create(new SqliteStorageOptions { DataDirectory = data }));
var runtime = new PlugboardRuntime(Options.Create(options), storage, NullLoggerFactory.Instance);
var exitCode = 0;
try
{
    await runtime.StartAsync();
    await runtime.AddMcpServerAsync(new McpServerDefinition { Name = "conformance", Transport = McpTransportKind.Http, Url = url });
    using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    await runtime.WaitUntilMcpServerRunningAsync("conformance", ready.Token);
    var tools = runtime.GetTools().Where(t => t.PluginId == "mcp.conformance").ToList();
    Console.Error.WriteLine($"scenario {scenario}: connected ({runtime.GetMcpServer("conformance").ProtocolVersion}), {tools.Count} tool(s)");
    foreach (var tool in tools)
    {
        var arguments = Arguments(tool.Parameters);
        try
        {
            var result = await runtime.InvokeToolAsync(tool.Name, arguments, timeout: TimeSpan.FromSeconds(20));
            Console.Error.WriteLine($"{tool.Name}: {result.GetRawText()}");
        }
        catch (JsonRpcException ex)
        {
            Console.Error.WriteLine($"{tool.Name} failed: {ex.Message}");
            exitCode = 1;
        }
    }
}
catch (Exception ex) when (ex is JsonRpcException or OperationCanceledException or InvalidOperationException)
{
    var status = runtime.GetMcpServers().FirstOrDefault();
    Console.Error.WriteLine($"scenario {scenario} failed: {ex.Message} (server {status?.State}: {status?.LastError})");
    exitCode = 1;
}
finally
{
    await runtime.DisposeAsync();
    await storage.DisposeAsync();
    try
    {
        Directory.Delete(data, recursive: true);
    }
    catch (IOException)
    {
    }
}

return exitCode;

// Arguments that satisfy a tool's schema: every required property gets a plain value of its type.
static JsonElement Arguments(JsonElement? schema)
{
    var arguments = new JsonObject();
    if (schema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
    {
        var properties = s.TryGetProperty("properties", out var p) ? p : default;
        foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
        {
            var type = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var property) && property.TryGetProperty("type", out var t) ? t.GetString() : "string";
            arguments[name] = type switch
            {
                "number" or "integer" => JsonValue.Create(2),
                "boolean" => JsonValue.Create(true),
                "object" => new JsonObject(),
                "array" => new JsonArray(),
                _ => JsonValue.Create("test"),
            };
        }
    }

    return JsonSerializer.SerializeToElement(arguments);
}
