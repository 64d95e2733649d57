using System.Text.Json;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Runtime.Dispatch;
using Plugboard.Runtime.Tests.Supervision;

namespace Plugboard.Runtime.Tests.Dispatch;

/// <summary>Tools from sources that are not plugins (MCP servers, the Box) share the registry, validation and timeouts.</summary>
public sealed class NativeToolTests : IAsyncLifetime
{
    private readonly PluginFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task SetToolSource_HandlerTool_ListedValidatedInvokedAndRemoved()
    {
        var runtime = await _fixture.StartRuntimeAsync();
        var changes = 0;
        runtime.ToolsChanged += (_, _) => changes++;
        var schema = PluginFixture.Json("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}""");

        runtime.SetToolSource("mcp.math", [new NativeTool("mcp.math.double", new ToolDescriptor("double", "Doubles n", schema), (args, _, _) =>
            Task.FromResult(JsonSerializer.SerializeToElement(args.GetProperty("n").GetInt32() * 2)))]);

        Assert.Contains(runtime.GetTools(), t => t.Name == "mcp.math.double" && t.PluginId == "mcp.math");
        Assert.Equal(42, (await runtime.InvokeToolAsync("mcp.math.double", PluginFixture.Json("""{"n":21}"""))).GetInt32());
        var invalid = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("mcp.math.double", PluginFixture.Json("""{"n":"x"}""")));
        Assert.Equal(PlugboardErrorCodes.ToolArgumentsInvalid, invalid.Code);

        runtime.SetToolSource("mcp.math", []);
        Assert.DoesNotContain(runtime.GetTools(), t => t.Name == "mcp.math.double");
        Assert.True(changes >= 2);
    }

    [Fact]
    public async Task InvokeToolAsync_HandlerExceedsTimeout_ThrowsToolTimeoutAndCancelsHandler()
    {
        var runtime = await _fixture.StartRuntimeAsync();
        var cancelled = new TaskCompletionSource();
        runtime.SetToolSource("box", [new NativeTool("box.sleep", new ToolDescriptor("sleep", null, null), async (_, _, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }

            return default;
        })]);

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => runtime.InvokeToolAsync("box.sleep", PluginFixture.Json("{}"), timeout: TimeSpan.FromMilliseconds(200)));

        Assert.Equal(PlugboardErrorCodes.ToolTimeout, error.Code);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
