using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Plugboard.Box;
using Plugboard.Box.Contracts;
using Plugboard.Box.Hosting;
using Plugboard.Protocol.JsonRpc;
using Plugboard.Protocol.Transports;

[assembly: SupportedOSPlatform("linux")]

return await BoxProgram.RunAsync(args).ConfigureAwait(false);

/// <summary>The <c>plugboard-box</c> entry point.</summary>
internal static class BoxProgram
{
    public const string TokenVariable = "PLUGBOARD_BOX_TOKEN";

    public static async Task<int> RunAsync(string[] args)
    {
        string? listen = null;
        string? configFile = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    PrintUsage();
                    return 0;
                case "--stdio":
                    break;
                case "--listen" when i + 1 < args.Length:
                    listen = args[++i];
                    break;
                case "--config" when i + 1 < args.Length:
                    configFile = args[++i];
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.AddEnvironmentVariables("PLUGBOARD_BOX_");
        builder.AddCommandLine([.. rest], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["--data-dir"] = nameof(BoxServerOptions.DataDirectory),
            ["--backend"] = nameof(BoxServerOptions.Backend),
            ["--max-sessions"] = nameof(BoxServerOptions.MaxSessions),
            ["--allow-mount-root"] = nameof(BoxServerOptions.AllowedMountRoots) + ":0",
            ["--log-level"] = "LogLevel",
        });
        var configuration = builder.Build();
        var options = new BoxServerOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            return Fail($"invalid configuration: {ex.Message}");
        }

        if (listen is not null)
        {
            options.Listen = listen;
        }

        var errors = options.Validate();
        if (errors.Count > 0)
        {
            return Fail("invalid configuration:\n  " + string.Join("\n  ", errors));
        }

        var token = Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(token) || token.Length < 16)
        {
            return Fail($"set {TokenVariable} to a random secret of at least 16 characters; every client must present it (box/hello, and Authorization: Bearer on WebSockets).");
        }

        // Nothing the Box starts (mount, bwrap, ...) inherits the token.
        Environment.SetEnvironmentVariable(TokenVariable, null);

        var level = Enum.TryParse<LogLevel>(configuration["LogLevel"], ignoreCase: true, out var parsed) ? parsed : LogLevel.Information;
        using var loggerFactory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(level);
            logging.AddFilter("Microsoft", LogLevel.Warning);
            // stdout carries the protocol in stdio mode: every log line goes to stderr, one JSON object per line.
            logging.AddJsonConsole(o => o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false });
            logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        var logger = loggerFactory.CreateLogger("Plugboard.Box");

        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });

        BoxHost host;
        try
        {
            host = await BoxHost.StartAsync(options, token, serveControl: listen is not null, loggerFactory, stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or OperationCanceledException)
        {
            return Fail($"could not start: {ex.Message}");
        }

        await using (host.ConfigureAwait(false))
        {
            if (listen is not null)
            {
                Console.Error.WriteLine($"plugboard-box listening on {host.RelayBaseUrl} (control: {host.RelayBaseUrl}/rpc)");
                await Task.WhenAny(host.ShutdownRequested, Task.Delay(Timeout.Infinite, stopping.Token)).ConfigureAwait(false);
                Log.ShuttingDown(logger, stopping.IsCancellationRequested ? "signal" : "requested");
                return 0;
            }

            // stdio: the spawning runtime is the only client; when it goes away (stdin closes) the Box cleans up and exits.
            var transport = new HeaderDelimitedTransport(Console.OpenStandardInput(), Console.OpenStandardOutput());
            await using var connection = new JsonRpcConnection(transport, BoxJsonContext.CreateConnectionOptions(), loggerFactory.CreateLogger("Plugboard.Box.Rpc"));
            host.CreateHandler("stdio").Register(connection);
            connection.Start();
            var ended = await Task.WhenAny(connection.Completion, host.ShutdownRequested, Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default)).ConfigureAwait(false);
            if (ended == host.ShutdownRequested)
            {
                // Let the shutdown answer reach the client before the pipes close.
                await Task.Delay(200).ConfigureAwait(false);
            }

            Log.ShuttingDown(logger, ended == connection.Completion ? "the client closed the connection" : ended == host.ShutdownRequested ? "requested" : "signal");
            await host.RequestShutdownAsync().ConfigureAwait(false);
            return 0;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"plugboard-box: {message}");
        return 2;
    }

    private static void PrintUsage() => Console.Error.WriteLine("""
        Usage: plugboard-box [--stdio | --listen http://HOST:PORT] [--config FILE] [options]

        Runs untrusted commands in hardened Docker containers, bubblewrap or nsjail jails (see docs/box.md).
          --stdio              serve the Box protocol on stdin/stdout (the default; the runtime spawns the Box so)
          --listen URL         serve it as a WebSocket at URL/rpc instead (a remote Box)
          --config FILE        JSON settings (the same keys as the PLUGBOARD_BOX_* variables)
          --data-dir DIR       where workspaces and state live
          --backend NAME       auto (default), docker, bubblewrap or nsjail
          --max-sessions N     session cap (default 32)
          --allow-mount-root D a host folder callers may mount from (more with PLUGBOARD_BOX_AllowedMountRoots__N)
          --log-level LEVEL    Trace, Debug, Information (default), Warning, Error

        Environment: PLUGBOARD_BOX_TOKEN (required, at least 16 characters) is the secret every client presents;
        PLUGBOARD_BOX_<Setting> (e.g. PLUGBOARD_BOX_Docker__DefaultImage) sets any option.
        """);
}
