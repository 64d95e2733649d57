// The WeCom AI Bot adapter plugin: serves platform "wecombot" for any number of bots, each in long-connection or
// webhook mode (see docs/wecombot.md).
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.WeComBot.Adapter;
using Plugboard.Sdk;
using Plugboard.Sdk.Adapters;

var builder = PluginApp.CreateBuilder(args);
builder.Services.AddSingleton(services => new WeComAdapter(services.GetRequiredService<ILoggerFactory>()));
builder.AddAdapter<WeComChatAdapter>(WeComAiBot.Platform);
await using var app = builder.Build();
return await app.RunAsync();
