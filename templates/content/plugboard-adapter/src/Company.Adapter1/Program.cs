using Company.Adapter1;
using Plugboard.Sdk;
using Plugboard.Sdk.Adapters;

var builder = PluginApp.CreateBuilder(args);

// One PlatformAdapter instance per bot of platform "sampleplatform" (the runtime starts a bot with adapter/start).
builder.AddAdapter<PlatformAdapter>("sampleplatform");

await using var app = builder.Build();
return await app.RunAsync();
