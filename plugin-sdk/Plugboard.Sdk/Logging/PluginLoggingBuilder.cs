using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Plugboard.Sdk.Logging;

/// <summary>The <see cref="ILoggingBuilder"/> exposed as <see cref="PluginAppBuilder.Logging"/>.</summary>
internal sealed class PluginLoggingBuilder : ILoggingBuilder
{
    public PluginLoggingBuilder(IServiceCollection services)
    {
        Services = services;
    }

    public IServiceCollection Services { get; }
}
