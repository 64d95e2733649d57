using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Plugboard.Cli.Commands;
using Plugboard.Cli.Configuration;
using Plugboard.Runtime;
using Plugboard.Runtime.Hosting;
using Plugboard.Runtime.Mcp.Serving;

namespace Plugboard.Cli.Mcp;

/// <summary>
/// What <c>plugboard run</c> needs for MCP, behind one call: the <c>mcp</c> config section onto the runtime's options, and
/// the Streamable HTTP endpoint at <c>/mcp</c> (a middleware added through a startup filter, so the server's own endpoint
/// wiring stays untouched).
/// </summary>
internal static class McpCli
{
    /// <summary>Adds MCP to the runtime host; throws a <see cref="CliException"/> for an invalid <c>mcp</c> section.</summary>
    public static void AddTo(WebApplicationBuilder builder, PlugboardSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        builder.Services.Configure<PlugboardOptions>(options => McpSettings.Apply(settings, options));
        builder.Services.AddSingleton(services => new McpHttpEndpoint(
            new PlugboardMcpServer(
                services.GetRequiredService<PlugboardRuntime>(),
                services.GetRequiredService<PlugboardRuntime>(),
                services.GetRequiredService<IOptions<PlugboardOptions>>().Value.Mcp.Serve,
                services.GetRequiredService<ILoggerFactory>()),
            TokenReader(settings.Control.TokenFile),
            settings.Control.TokenFile,
            settings.Control.Address,
            services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<IStartupFilter, EndpointFilter>();
    }

    /// <summary>Reads the <c>mcp</c> section into throw-away options to report problems before anything starts.</summary>
    public static void Validate(PlugboardSettings settings)
    {
        try
        {
            var options = new PlugboardOptions();
            McpSettings.Apply(settings, options);
            var errors = options.Mcp.Validate();
            if (errors.Count > 0)
            {
                throw new SettingsException([.. errors.Select(e => new SettingError("mcp", "the combined settings", e))]);
            }
        }
        catch (SettingsException ex)
        {
            throw new CliException(ExitCodes.ConfigInvalid, ex.Message, ex);
        }
    }

    private static Func<string> TokenReader(string tokenFile)
    {
        var token = new Lazy<string>(() => Plugboard.Cli.Server.TokenFile.Read(tokenFile), LazyThreadSafetyMode.ExecutionAndPublication);
        return () => token.Value;
    }

    /// <summary>Answers <c>/mcp</c> ahead of the server's own endpoints, and ends MCP sessions when the host stops.</summary>
    private sealed class EndpointFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var endpoint = app.ApplicationServices.GetRequiredService<McpHttpEndpoint>();
            app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => _ = endpoint.DisposeAsync().AsTask());
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path.Equals(McpHttpEndpoint.Path, StringComparison.OrdinalIgnoreCase))
                {
                    await endpoint.HandleAsync(context).ConfigureAwait(false);
                    return;
                }

                await nextMiddleware(context).ConfigureAwait(false);
            });
            next(app);
        };
    }
}
