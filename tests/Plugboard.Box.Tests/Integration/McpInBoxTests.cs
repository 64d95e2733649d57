using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Plugboard.Box.Contracts;
using Plugboard.Box.Tests.Infrastructure;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp;

namespace Plugboard.Box.Tests.Integration;

/// <summary>A stdio MCP server located in the Box: a managed process in its own session, reached over the relay.</summary>
public sealed class McpInBoxTests
{
    /// <summary>A minimal stdio MCP server in POSIX sh (the test image has only busybox): initialize, tools/list, tools/call.</summary>
    private const string ShellMcpServer = """
        while IFS= read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\("[^"]*"\|[0-9][0-9]*\).*/\1/p')
          method=$(printf '%s' "$line" | sed -n 's/.*"method":"\([^"]*\)".*/\1/p')
          version=$(printf '%s' "$line" | sed -n 's/.*"protocolVersion":"\([^"]*\)".*/\1/p')
          case "$method" in
            initialize) printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"%s","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1.0"}}}\n' "$id" "$version" ;;
            tools/list) printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"whoami","description":"Where it runs","inputSchema":{"type":"object","properties":{}}}]}}\n' "$id" ;;
            tools/call) printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"uid=%s net=%s"}]}}\n' "$id" "$(id -u)" "$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' \n')" ;;
            ping) printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id" ;;
            *) [ -n "$id" ] && printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"unknown method"}}\n' "$id" ;;
          esac
        done
        """;

    [Fact]
    public async Task McpServer_LocatedInTheBox_RunsSandboxedAndServesTools()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPlugboard(o =>
        {
            o.DataDirectory = TestPaths.NewDirectory("mcp-box");
            o.Box.Enabled = true;
            o.Box.Executable = BoxProcess.BoxDll;
            o.Box.Backend = BoxBackendNames.Docker;
            o.Box.Settings["Docker__DefaultImage"] = BoxProcess.DockerImage;
            o.Mcp.Servers.Add(new McpServerDefinition { Name = "shell", Command = "sh", Arguments = ["-c", ShellMcpServer], Location = McpServerLocation.Box });
        });
        using var host = builder.Build();
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<PlugboardRuntime>();

        await runtime.WaitUntilMcpServerRunningAsync("shell").WaitAsync(TimeSpan.FromSeconds(60));
        var result = await runtime.InvokeToolAsync("mcp.shell.whoami", JsonSerializer.SerializeToElement(new { }), timeout: TimeSpan.FromSeconds(30));
        Assert.Contains("uid=1000 net=lo", result.GetRawText(), StringComparison.Ordinal);

        var session = await runtime.BoxClient!.GetSessionAsync("mcp-shell");
        Assert.Equal(1, session.Processes);
        await host.StopAsync();
        Assert.Empty(await Docker.DockerSessionTests.ContainersOfAsync("mcp-shell"));
    }
}
