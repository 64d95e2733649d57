using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Plugboard.Sdk.Adapters;

/// <summary>Registers chat-platform adapters on a <see cref="PluginAppBuilder"/>.</summary>
public static partial class PluginAppBuilderAdapterExtensions
{
    /// <summary>
    /// Makes the plugin an adapter for <paramref name="platform"/>: the runtime's <c>adapter/start</c> for a bot on that
    /// platform creates a <typeparamref name="TAdapter"/> (from dependency injection, in a service scope of the bot's
    /// own; its constructor may take a <see cref="BotContext"/>), and <c>adapter/&lt;api&gt;</c> calls for the bot go to
    /// that instance. Declare the platform in the manifest's <c>components.adapters</c> with its config fields, events
    /// and optional APIs. Registering the same platform again with the same type does nothing; with another type it
    /// throws.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="platform">The platform name as in the manifest, e.g. <c>webchat</c>.</param>
    public static PluginAppBuilder AddAdapter<TAdapter>(this PluginAppBuilder builder, string platform)
        where TAdapter : class, IChatAdapter
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(platform) || !PlatformPattern().IsMatch(platform))
        {
            throw new ArgumentException($"The adapter platform \"{platform}\" is invalid: use lowercase letters, digits, '_' and '-', starting with a letter (as in the manifest's components.adapters[].platform).", nameof(platform));
        }

        var existing = builder.Services
            .Where(d => d.ServiceType == typeof(AdapterRegistration) && d.ImplementationInstance is AdapterRegistration)
            .Select(d => (AdapterRegistration)d.ImplementationInstance!)
            .FirstOrDefault(r => r.Platform == platform);
        if (existing is not null)
        {
            return existing.AdapterType == typeof(TAdapter)
                ? builder
                : throw new InvalidOperationException($"Platform '{platform}' is already served by {existing.AdapterType.FullName}; one adapter type per platform.");
        }

        builder.Services.AddSingleton(new AdapterRegistration(platform, typeof(TAdapter)));
        builder.Services.TryAddSingleton<AdapterHost>();
        return builder;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex PlatformPattern();
}
