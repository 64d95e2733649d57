using System.Text.Json;

namespace Plugboard.Protocol.InteropTests;

/// <summary>The vscode-jsonrpc client (tests/interop/node/client.js) calling the C# test server over stdio.</summary>
public sealed class NodeClientToCSharpServerTests
{
    [Theory]
    [InlineData("concurrent")]
    [InlineData("ordered")]
    public async Task NodeClient_CallingCSharpTestServer_AllChecksPass(string dispatch)
    {
        var peers = NodePeers.Require();
        var arguments = new List<string> { peers.ClientScript, NodePeers.DotnetHost(), peers.TestServerDll };
        if (dispatch == "ordered")
        {
            arguments.Add("--ordered");
        }

        var (process, stderr) = NodePeers.Start(peers.Node, peers.Directory, [.. arguments]);
        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"node client.js did not finish within 90 s.{Environment.NewLine}stderr:{Environment.NewLine}{stderr}");
            }

            var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var checks = new List<(string Line, bool Ok)>();
            JsonElement? summary = null;
            foreach (var line in lines)
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.TryGetProperty("summary", out var s))
                {
                    summary = s.Clone();
                }
                else if (root.TryGetProperty("check", out _))
                {
                    checks.Add((line, root.GetProperty("ok").GetBoolean()));
                }
            }

            var failing = checks.Where(c => !c.Ok).Select(c => c.Line).ToList();
            var report = $"node client.js against the C# test server ({dispatch} dispatch) exited with {process.ExitCode}; "
                + $"{failing.Count} of {checks.Count} checks failed:{Environment.NewLine}{string.Join(Environment.NewLine, failing)}"
                + $"{Environment.NewLine}stdout:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}"
                + $"{Environment.NewLine}stderr:{Environment.NewLine}{stderr}";
            Assert.True(failing.Count == 0, report);
            Assert.True(checks.Count > 0, report);
            Assert.True(summary is not null, report);
            Assert.Equal(checks.Count, summary.Value.GetProperty("passed").GetInt32());
            Assert.True(process.ExitCode == 0, report);
        }
    }
}
