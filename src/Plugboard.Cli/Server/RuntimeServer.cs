using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Plugboard.Cli.Commands;
using Plugboard.Cli.Configuration;
using Plugboard.Cli.Control;
using Plugboard.Runtime;
using Plugboard.Runtime.Bots;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Supervision;

namespace Plugboard.Cli.Server;

/// <summary>
/// <c>plugboard run</c>: hosts the runtime and Kestrel (health, control and debug endpoints) until Ctrl+C or SIGTERM,
/// then stops plugins gracefully. Holds an exclusive lock on the data folder and describes itself in
/// <c>&lt;data&gt;/runtime.json</c> so that other <c>plugboard</c> commands can find it.
/// </summary>
internal static class RuntimeServer
{
    /// <summary>Runs until shut down; returns the exit code.</summary>
    public static async Task<int> RunAsync(PlugboardSettings settings, TextWriter output)
    {
        TokenFile.CreatePrivateDirectory(settings.DataDirectory);
        using var dataLock = AcquireDataLock(settings);
        var controlToken = TokenFile.EnsureToken(settings.Control.TokenFile, out var controlCreated, out var controlTightened);
        string? debugToken = null;
        var debugCreated = false;
        var debugTightened = false;
        if (settings.Debug.Enabled)
        {
            debugToken = TokenFile.EnsureToken(settings.Debug.TokenFile, out debugCreated, out debugTightened);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        ConfigureLogging(builder.Logging, settings.Logging);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(settings.Control.Address, settings.Control.Port);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = SupervisorShutdown(settings) + TimeSpan.FromSeconds(10));
        builder.Services.AddPlugboard(options =>
        {
            settings.Apply(options);

            // The main job: a web chat bot on the WebChat plugin whenever that plugin is installed (created once).
            options.SeedDefaultBots = true;
        });
        builder.Services.AddSingleton(settings);
        Mcp.McpCli.AddTo(builder, settings);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Plugboard.Cli");
        LogTokens(logger, settings, controlCreated, controlTightened, debugCreated, debugTightened);
        var runtime = app.Services.GetRequiredService<PlugboardRuntime>();
        var endpoints = new RuntimeEndpoints(runtime, settings, controlToken, debugToken, app.Lifetime, app.Services.GetRequiredService<ILoggerFactory>());
        endpoints.Map(app);

        try
        {
            await app.StartAsync();
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await app.StopAsync();
            throw new CliException(ExitCodes.AlreadyRunning, $"Port {settings.Control.Port} on {settings.Control.Address} is taken by another program. Stop it, or choose another port with control:port (e.g. PLUGBOARD__CONTROL__PORT=0 picks a free one).", ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            await app.StopAsync();
            throw new CliException(ExitCodes.ConfigInvalid, $"control:address {settings.Control.Address} is not an address of this machine. Use 127.0.0.1 or one of this machine's addresses.", ex);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoints.BaseAddress = NormalizeAddress(address, settings.Control.Address);
        if (!IPAddress.IsLoopback(settings.Control.Address))
        {
            ServerLog.RemoteBind(logger, endpoints.BaseAddress);
        }

        var infoFile = new RuntimeInfoFile(Environment.ProcessId, RuntimeInfo.Version, endpoints.ControlUrl, endpoints.DebugUrl, endpoints.HealthUrl, settings.Control.TokenFile, settings.Debug.Enabled ? settings.Debug.TokenFile : null, endpoints.StartedAt);
        await File.WriteAllTextAsync(settings.RuntimeInfoFile, JsonSerializer.Serialize(infoFile, CliJsonContext.Indented.GetTypeInfo(typeof(RuntimeInfoFile))));
        PrintBanner(output, settings, endpoints, runtime);
        _ = PrintChatAddressAsync(output, runtime, app.Lifetime.ApplicationStopping);

        try
        {
            await app.WaitForShutdownAsync();
        }
        finally
        {
            TryDelete(settings.RuntimeInfoFile);
            await app.DisposeAsync(); // Flushes the console logger first, so this is the last line.
            output.WriteLine("Plugboard stopped.");
        }

        return ExitCodes.Success;
    }

    /// <summary>The data-folder lock: released when the process exits, even after a crash.</summary>
    private static FileStream AcquireDataLock(PlugboardSettings settings)
    {
        var path = Path.Combine(settings.DataDirectory, "runtime.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            var detail = string.Empty;
            try
            {
                var info = JsonSerializer.Deserialize(File.ReadAllText(settings.RuntimeInfoFile), CliJsonContext.Default.RuntimeInfoFile);
                detail = info is null ? string.Empty : $" (pid {info.ProcessId}, control at {info.ControlUrl})";
            }
            catch (Exception readError) when (readError is IOException or JsonException)
            {
            }

            throw new CliException(ExitCodes.AlreadyRunning, $"A Plugboard runtime is already running with the data folder {settings.DataDirectory}{detail}. Use it (`plugboard plugin list`), stop it, or run another one with --data-dir.", ex);
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LoggingSettings settings)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(settings.Level);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter(RuntimeEndpoints.ConnectionLogCategory, settings.Level <= LogLevel.Debug ? settings.Level : LogLevel.Warning);
        if (settings.Format == "json")
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
            });
        }
    }

    private static TimeSpan SupervisorShutdown(PlugboardSettings settings)
    {
        var supervisor = new SupervisorOptions();
        settings.ConfigureSupervisor(supervisor);
        return supervisor.ShutdownTimeout;
    }

    private static void LogTokens(ILogger logger, PlugboardSettings settings, bool controlCreated, bool controlTightened, bool debugCreated, bool debugTightened)
    {
        if (controlCreated)
        {
            ServerLog.TokenCreated(logger, "control", settings.Control.TokenFile);
        }

        if (controlTightened)
        {
            ServerLog.TokenTightened(logger, settings.Control.TokenFile);
        }

        if (debugCreated)
        {
            ServerLog.TokenCreated(logger, "debug", settings.Debug.TokenFile);
        }

        if (debugTightened)
        {
            ServerLog.TokenTightened(logger, settings.Debug.TokenFile);
        }
    }

    /// <summary>Kestrel reports <c>http://127.0.0.1:7420</c> or <c>http://[::]:7420</c>; keep what clients can dial.</summary>
    private static string NormalizeAddress(string address, IPAddress configured)
    {
        var uri = new Uri(address.Replace("[::]", "[::1]", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        var host = configured.Equals(IPAddress.Any) ? "127.0.0.1" : configured.Equals(IPAddress.IPv6Any) ? "[::1]" : uri.Host;
        return $"http://{host}:{uri.Port}";
    }

    /// <summary>Prints the web chat's address once the default bot runs (its port is chosen when it starts).</summary>
    private static async Task PrintChatAddressAsync(TextWriter output, PlugboardRuntime runtime, CancellationToken stopping)
    {
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !stopping.IsCancellationRequested)
            {
                if (runtime.GetBots().FirstOrDefault(b => b.Id == DefaultBots.WebChatBotId) is { State: "Running" })
                {
                    using var arguments = JsonDocument.Parse($"{{\"botId\":\"{DefaultBots.WebChatBotId}\"}}");
                    var result = await runtime.InvokeToolAsync("plugboard.webchat/webchat_url", arguments.RootElement, cancellationToken: stopping);
                    if (result.TryGetProperty("bots", out var bots) && bots.GetArrayLength() > 0 && bots[0].TryGetProperty("url", out var url))
                    {
                        await output.WriteLineAsync($"  web chat      {url.GetString()}   (open it in a browser and say hello)");
                    }

                    return;
                }

                await Task.Delay(250, stopping);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or Protocol.JsonRpc.JsonRpcException)
        {
            // No web chat (not bundled, disabled, or removed): nothing to print.
        }
    }

    private static void PrintBanner(TextWriter output, PlugboardSettings settings, RuntimeEndpoints endpoints, PlugboardRuntime runtime)
    {
        var plugins = runtime.GetPlugins();
        var folders = settings.PluginDirectories.Count == 0 ? "no plugin folders configured" : string.Join(", ", settings.PluginDirectories);
        output.WriteLine($"Plugboard {RuntimeInfo.Version} is running (pid {Environment.ProcessId}).");
        output.WriteLine($"  data folder   {settings.DataDirectory}");
        output.WriteLine($"  plugins       {plugins.Count} found ({folders}; installed ones in the data folder)");
        output.WriteLine($"  control       {endpoints.ControlUrl}   token: {settings.Control.TokenFile}");
        if (endpoints.DebugUrl is { } debugUrl)
        {
            output.WriteLine($"  debug attach  {debugUrl}?plugin=<id>   token: {settings.Debug.TokenFile}");
        }

        output.WriteLine($"  health        {endpoints.HealthUrl}");
        if (settings.ConfigFile is { } file)
        {
            output.WriteLine($"  config        {file}");
        }

        output.WriteLine("Manage it from another terminal with `plugboard plugin list` (same --data-dir). Press Ctrl+C to stop.");
        output.Flush();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
