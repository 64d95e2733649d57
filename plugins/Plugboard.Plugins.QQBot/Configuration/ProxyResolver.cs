using System.Net;

namespace Plugboard.Plugins.QQBot.Configuration;

/// <summary>
/// Chooses the proxy for REST calls and for the gateway WebSocket: the bot's <c>proxy</c> setting first, then the
/// environment (<c>WSS_PROXY</c> for the gateway, <c>HTTPS_PROXY</c>, then <c>ALL_PROXY</c>, upper or lower case),
/// honouring <c>NO_PROXY</c>. <see langword="null"/> means a direct connection.
/// </summary>
internal static class ProxyResolver
{
    /// <summary>The proxy for REST calls (token endpoint and OpenAPI).</summary>
    public static IWebProxy? ForHttp(string? configured, Func<string, string?> environment)
        => Create(configured ?? First(environment, "HTTPS_PROXY", "ALL_PROXY"), environment);

    /// <summary>The proxy for the gateway WebSocket.</summary>
    public static IWebProxy? ForWebSocket(string? configured, Func<string, string?> environment)
        => Create(configured ?? First(environment, "WSS_PROXY", "HTTPS_PROXY", "ALL_PROXY"), environment);

    /// <summary>Reads the process environment.</summary>
    public static string? ProcessEnvironment(string name) => Environment.GetEnvironmentVariable(name);

    private static string? First(Func<string, string?> environment, params string[] names)
    {
        foreach (var name in names)
        {
            var value = environment(name) ?? environment(name.ToLowerInvariant());
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }

        return null;
    }

    private static ConfiguredProxy? Create(string? address, Func<string, string?> environment)
    {
        if (address is null)
        {
            return null;
        }

        // Proxy variables are often written without a scheme ("127.0.0.1:7890"); curl reads those as HTTP proxies.
        if (!address.Contains("://", StringComparison.Ordinal))
        {
            address = "http://" + address;
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new QQBotConfigException([$"proxy: '{Redact(address)}' is not a proxy URL (http://host:port or socks5://host:port)"]);
        }

        var noProxy = (First(environment, "NO_PROXY") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new ConfiguredProxy(uri, noProxy);
    }

    /// <summary>A proxy URL without its user information, for messages.</summary>
    public static string Redact(string address)
        => Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? address.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal)
            : address;

    /// <summary>A fixed proxy with a NO_PROXY bypass list (exact hosts, <c>.suffix</c> domains, or <c>*</c>).</summary>
    internal sealed class ConfiguredProxy(Uri address, IReadOnlyList<string> noProxy) : IWebProxy
    {
        public Uri Address { get; } = address;

        public ICredentials? Credentials { get; set; } = CredentialsOf(address);

        public Uri GetProxy(Uri destination) => Address;

        public bool IsBypassed(Uri host)
        {
            ArgumentNullException.ThrowIfNull(host);
            foreach (var entry in noProxy)
            {
                if (entry == "*")
                {
                    return true;
                }

                var suffix = entry.TrimStart('*').TrimStart('.');
                if (host.Host.Equals(suffix, StringComparison.OrdinalIgnoreCase)
                    || host.Host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static NetworkCredential? CredentialsOf(Uri address)
        {
            if (string.IsNullOrEmpty(address.UserInfo))
            {
                return null;
            }

            var parts = address.UserInfo.Split(':', 2);
            return new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty);
        }
    }
}
