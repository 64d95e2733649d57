using System.Globalization;
using System.Net;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.WebChat;

/// <summary>A web chat bot's configuration (the adapter config fields of plugin.json).</summary>
internal sealed record WebChatOptions(
    string Host = WebChatOptions.DefaultHost,
    long Port = 0,
    string? Token = null,
    string Title = "Plugboard chat",
    string? PublicUrl = null,
    long HistoryLimit = 200,
    long MaxConnections = 1000,
    long MaxMessageBytes = 65536)
{
    public const string DefaultHost = "127.0.0.1";
    public const int MinTokenLength = 16;

    /// <summary>Checks the configuration; returns the address to bind and whether it is loopback only.</summary>
    /// <exception cref="AdapterConfigException">A field is unusable; the message says how to fix it.</exception>
    public (IPAddress Address, bool Loopback) Validate(string botId)
    {
        var host = string.IsNullOrWhiteSpace(Host) ? DefaultHost : Host.Trim();
        IPAddress address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (host is "*" or "0.0.0.0")
        {
            address = IPAddress.Any;
        }
        else if (host is "::" or "[::]")
        {
            address = IPAddress.IPv6Any;
        }
        else if (!IPAddress.TryParse(host.Trim('[', ']'), out address!))
        {
            throw new AdapterConfigException("host", $"host '{Host}' is not an IP address. Use 127.0.0.1 or localhost (this machine only), an IP address of this machine, or 0.0.0.0 / :: (every interface).");
        }

        var loopback = IPAddress.IsLoopback(address);
        if (Port is < 0 or > 65535)
        {
            throw new AdapterConfigException("port", string.Create(CultureInfo.InvariantCulture, $"port {Port} is out of range: use 1-65535, or 0 to pick a free port."));
        }

        if (!loopback && string.IsNullOrEmpty(Token))
        {
            throw new AdapterConfigException("token", $"bot {botId} listens on {host}, beyond loopback, so it needs a token: set the bot's \"token\" (at least {MinTokenLength} characters, e.g. from `openssl rand -hex 16`), or set host to 127.0.0.1.");
        }

        if (!string.IsNullOrEmpty(Token) && Token.Length < MinTokenLength)
        {
            throw new AdapterConfigException("token", $"the token of bot {botId} is {Token.Length} characters long; use at least {MinTokenLength} (e.g. from `openssl rand -hex 16`).");
        }

        if (PublicUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw new AdapterConfigException("publicUrl", $"publicUrl '{url}' is not an absolute http(s) URL.");
        }

        if (HistoryLimit is < 0 or > 100_000)
        {
            throw new AdapterConfigException("historyLimit", string.Create(CultureInfo.InvariantCulture, $"historyLimit {HistoryLimit} is out of range: use 0 (no history) to 100000."));
        }

        if (MaxConnections is < 1 or > 100_000)
        {
            throw new AdapterConfigException("maxConnections", string.Create(CultureInfo.InvariantCulture, $"maxConnections {MaxConnections} is out of range: use 1 to 100000."));
        }

        if (MaxMessageBytes is < 1024 or > 16 * 1024 * 1024)
        {
            throw new AdapterConfigException("maxMessageBytes", string.Create(CultureInfo.InvariantCulture, $"maxMessageBytes {MaxMessageBytes} is out of range: use 1024 to 16777216."));
        }

        return (address, loopback);
    }
}
