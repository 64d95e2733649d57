namespace Plugboard.Benchmarks;

/// <summary>
/// Entry point: one subcommand per benchmark (<c>rpc</c>; later <c>plugin</c>) plus the hidden peer modes the
/// benchmarks start as their second process (<c>peer-raw</c>, <c>peer-rpc</c>, <c>peer-ws</c>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage();
            return args.Length == 0 ? 2 : 0;
        }

        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "rpc" => await RpcBenchmark.RunAsync(RpcBenchmarkOptions.Parse(rest)),
                "plugin" => await PluginBenchmark.RunAsync(rest),
                "e2e" => await E2eBenchmark.RunAsync(rest),
                "wecom" => await WeComBenchmark.RunAsync(rest),
                "qqbot" => await QQBotBenchmark.RunAsync(rest),
                "box" => OperatingSystem.IsLinux() ? await BoxBenchmark.RunAsync(rest) : Fail("the box benchmark needs Linux."),
                "mcp" => await McpBenchmark.RunAsync(rest),
                PluginBenchmark.HelloMode => PluginBenchmark.RunHello(),
                EchoPeers.RawMode => await EchoPeers.RunRawAsync(),
                EchoPeers.RpcMode => await EchoPeers.RunRpcAsync(),
                EchoPeers.WebSocketMode => await EchoPeers.RunWebSocketAsync(),
                _ => Fail($"unknown subcommand '{args[0]}'."),
            };
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"Plugboard.Benchmarks: {message}");
        Console.Error.WriteLine("Run with --help for the usage.");
        return 2;
    }

    private static void PrintUsage()
    {
        Console.Error.WriteLine("""
            Usage: dotnet run -c Release --project tests/Plugboard.Benchmarks -- <benchmark> [options]

            Benchmarks:
              rpc   The JSON-RPC engine over stdio pipes and WebSocket loopback against a raw echo of
                    equal-sized frames and against vscode-jsonrpc (when node is installed).
                    Options:
                      --rounds N    rounds of alternating baseline/subject measurements (default 5)
                      --quick       short measurements and 3 rounds (under 30 s)
                      --seconds S   seconds per measurement (default 0.8, quick 0.2)
                      --json FILE   also write every figure to FILE
                      --filter TEXT only scenarios whose "transport.size.mode" contains TEXT
                                    (e.g. stdio, websocket.large, stdio.small.sequential)

              plugin  The plugin host: cold start of the C# Echo sample vs a dotnet hello-world process, tool
                    invocation vs a raw JSON-RPC round trip, event dispatch to 1 and 10 plugins, resident memory.
                    Options: --rounds N (default 5), --quick, --json FILE

            Peer modes (started by the benchmarks themselves):
              peer-hello print hello and exit (the cold-start baseline)
              peer-raw   echo Content-Length frames on stdin/stdout without parsing JSON
              peer-rpc   JSON-RPC `echo` over stdin/stdout
              peer-ws    WebSocket echo on 127.0.0.1 (/raw: message echo, /rpc: JSON-RPC `echo`); prints the port
            """);
    }
}

/// <summary>A command-line mistake, reported without a stack trace.</summary>
internal sealed class UsageException(string message) : Exception(message);
