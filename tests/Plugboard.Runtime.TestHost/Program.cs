using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Supervision;

if (args.Length != 2)
{
    Console.Error.WriteLine("Usage: Plugboard.Runtime.TestHost <plugins-folder> <data-folder>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Services.AddPlugboard(o => o.DataDirectory = args[1]).WithPluginDirectory(args[0]);
using var host = builder.Build();
await host.StartAsync();
var runtime = host.Services.GetRequiredService<IPlugboardRuntime>();
foreach (var plugin in runtime.GetPlugins())
{
    await runtime.WaitUntilRunningAsync(plugin.Id).WaitAsync(TimeSpan.FromSeconds(60));
}

var pids = runtime.GetPlugins().Where(p => p.State == PluginState.Running).Select(p => p.ProcessId);
Console.Out.WriteLine("READY " + string.Join(',', pids));
await host.WaitForShutdownAsync();
return 0;
