using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk.Adapters;

namespace Plugboard.Plugins.WebChat;

/// <summary>
/// The <c>webchat</c> adapter: one instance per bot, each with its own Kestrel server (see <see cref="WebChatServer"/>)
/// and its own sessions (see <see cref="WebChatBot"/>). Supports send, reply, replyStream and callPlatformApi
/// (<c>broadcast</c>, <c>connections</c>, <c>reset_session</c>).
/// </summary>
internal sealed class WebChatAdapter(WebChatDirectory directory, ILoggerFactory loggers) : IChatAdapter, IAsyncDisposable
{
    public const string Platform = "webchat";

    private WebChatBot? _bot;
    private WebChatServer? _server;

    public async ValueTask StartAsync(BotContext bot, CancellationToken cancellationToken)
    {
        var options = bot.GetConfig<WebChatOptions>();
        var (address, loopback) = options.Validate(bot.BotId);
        var chat = new WebChatBot(bot, options);
        try
        {
            _server = await WebChatServer.StartAsync(chat, options, address, loggers, cancellationToken);
        }
        catch (IOException ex)
        {
            // Kestrel reports an address in use as an IOException.
            throw new AdapterConfigException("port", string.Create(CultureInfo.InvariantCulture, $"bot {bot.BotId} cannot listen on {options.Host}:{options.Port}: {ex.Message}. Pick another port, or 0 for a free one."));
        }
        catch (SocketException ex)
        {
            throw new AdapterConfigException("host", $"bot {bot.BotId} cannot listen on {options.Host}:{options.Port}: {ex.Message}. Use an address of this machine.");
        }

        _bot = chat;
        var endPoint = _server.EndPoint;
        var url = options.PublicUrl is { Length: > 0 } advertised ? advertised : BuildUrl(endPoint, options.Host);
        directory.Register(new WebChatEndpoint(bot.BotId, url, !string.IsNullOrEmpty(options.Token)));
        if (loopback)
        {
            Log.Listening(bot.Logger, bot.BotId, url);
        }
        else
        {
            Log.ListeningWithToken(bot.Logger, bot.BotId, url);
        }

        _ = chat.EmitQuietlyAsync(EventTypes.Platform(Platform, "listening"), new ListeningData(url, endPoint.Address.ToString(), endPoint.Port, !string.IsNullOrEmpty(options.Token)));
    }

    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (_bot is { } bot)
        {
            directory.Unregister(bot.BotId);
        }

        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync();
        }
    }

    public ValueTask<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken)
        => ValueTask.FromResult(Bot.Send(request));

    public ValueTask<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken)
        => ValueTask.FromResult(Bot.Reply(request));

    public ValueTask<SendResult> ReplyStreamAsync(ReplyStreamParams chunk, CancellationToken cancellationToken)
        => ValueTask.FromResult(Bot.ReplyStream(chunk));

    public ValueTask<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
    {
        var bot = Bot;
        var result = action switch
        {
            "broadcast" => Frames.Write(w => w.WriteNumber("delivered", bot.Broadcast(RequiredString(parameters, "text", action)))),
            "connections" => Frames.Write(w => WebChatServer.WriteConnections(w, bot)),
            "reset_session" => ResetSession(bot, parameters),
            _ => throw new AdapterNotSupportedException($"{AdapterApis.CallPlatformApi}:{action}"),
        };
        using var document = JsonDocument.Parse(result);
        return ValueTask.FromResult(document.RootElement.Clone());
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private WebChatBot Bot => _bot ?? throw new InvalidOperationException("The web chat bot is not started.");

    private static byte[] ResetSession(WebChatBot bot, JsonElement parameters)
    {
        var type = RequiredString(parameters, "type", "reset_session");
        var id = RequiredString(parameters, "id", "reset_session");
        var chat = type switch
        {
            "person" => new ChatTarget(ChatType.Person, id),
            "group" => new ChatTarget(ChatType.Group, id),
            _ => throw new ArgumentException($"reset_session: type '{type}' is not person or group.", nameof(parameters)),
        };
        var cleared = bot.ResetSession(bot.GetSession(chat));
        return Frames.Write(w => w.WriteNumber("cleared", cleared));
    }

    private static string RequiredString(JsonElement parameters, string name, string action)
        => parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ArgumentException($"{action} needs a \"{name}\" string.", nameof(parameters));

    private static string BuildUrl(IPEndPoint endPoint, string configuredHost)
    {
        var address = endPoint.Address;
        var host = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            ? "127.0.0.1"
            : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        if (configuredHost.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            host = "localhost";
        }

        return string.Create(CultureInfo.InvariantCulture, $"http://{host}:{endPoint.Port}/");
    }
}
