using System.Text.Json;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Sdk.Adapters;

/// <summary>
/// A chat-platform adapter, registered with
/// <see cref="PluginAppBuilderAdapterExtensions.AddAdapter{TAdapter}(PluginAppBuilder, string)"/>. The SDK creates one
/// instance per bot (from a service scope of its own, so scoped services are per bot too) when the runtime sends
/// <c>adapter/start</c>, and disposes it after <c>adapter/stop</c>: fields of the instance are the bot's isolated state.
/// <para>
/// <see cref="SendAsync"/> and <see cref="ReplyAsync"/> are required. The other APIs have default implementations that
/// throw <see cref="AdapterNotSupportedException"/>, which the runtime receives as
/// <see cref="PlugboardErrorCodes.AdapterNotSupported"/>; implement the ones the platform supports and list them in the
/// manifest's <c>components.adapters[].apis</c>. Throw <see cref="PlatformException"/> for errors of the platform
/// itself (they reach callers as <see cref="PlugboardErrorCodes.PlatformError"/> with the platform's code and message).
/// </para>
/// </summary>
public interface IChatAdapter
{
    /// <summary>
    /// Starts serving the bot: validate <see cref="BotContext.Config"/> (throw <see cref="AdapterConfigException"/>
    /// with what to fix), connect to the platform, and start emitting events with <see cref="BotContext.EmitAsync"/>.
    /// Return once the bot is serving; long-running loops run in the background and end when
    /// <see cref="BotContext.Stopping"/> fires.
    /// </summary>
    /// <param name="bot">The bot: id, configuration, logger and event emission.</param>
    /// <param name="cancellationToken">Fires when the runtime gives up waiting for the start.</param>
    ValueTask StartAsync(BotContext bot, CancellationToken cancellationToken);

    /// <summary>Stops serving the bot: disconnect and release what <see cref="StartAsync"/> acquired.</summary>
    /// <param name="cancellationToken">Fires when the stop must end at once.</param>
    ValueTask StopAsync(CancellationToken cancellationToken);

    /// <summary>Sends a message to a person or group (<c>adapter/send</c>). Required.</summary>
    /// <param name="request">The target and the message chain (<see cref="SendParams.BotId"/> is this bot).</param>
    /// <param name="cancellationToken">Fires when the caller cancels.</param>
    ValueTask<SendResult> SendAsync(SendParams request, CancellationToken cancellationToken);

    /// <summary>Replies to a received message (<c>adapter/reply</c>). Required.</summary>
    /// <param name="request">The conversation, the message replied to and the chain.</param>
    /// <param name="cancellationToken">Fires when the caller cancels.</param>
    ValueTask<SendResult> ReplyAsync(ReplyParams request, CancellationToken cancellationToken);

    /// <summary>
    /// Delivers one chunk of a streamed reply (<c>adapter/replyStream</c>). Chunks of one stream share
    /// <see cref="ReplyStreamParams.StreamId"/>, arrive in order, and the last has <see cref="ReplyStreamParams.Final"/>
    /// set. Optional.
    /// </summary>
    /// <param name="chunk">The chunk.</param>
    /// <param name="cancellationToken">Fires when the caller cancels.</param>
    ValueTask<SendResult> ReplyStreamAsync(ReplyStreamParams chunk, CancellationToken cancellationToken)
        => throw new AdapterNotSupportedException(AdapterApis.ReplyStream);

    /// <summary>Runs a platform-specific action (<c>adapter/callPlatformApi</c>) declared in the manifest's <c>actions</c>. Optional.</summary>
    /// <param name="action">The action name.</param>
    /// <param name="parameters">Its parameters (a JSON object).</param>
    /// <param name="cancellationToken">Fires when the caller cancels.</param>
    ValueTask<JsonElement> CallPlatformApiAsync(string action, JsonElement parameters, CancellationToken cancellationToken)
        => throw new AdapterNotSupportedException(AdapterApis.CallPlatformApi);

    /// <summary>
    /// Any other optional API of <see cref="AdapterApis"/> (<c>edit</c>, <c>delete</c>, <c>getGroupInfo</c>, ...), with
    /// its parameters as sent by the caller (<c>botId</c> included). Optional: the default answers "not supported".
    /// </summary>
    /// <param name="api">The API name, e.g. <see cref="AdapterApis.Edit"/>.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="cancellationToken">Fires when the caller cancels.</param>
    ValueTask<JsonElement> InvokeApiAsync(string api, JsonElement parameters, CancellationToken cancellationToken)
        => throw new AdapterNotSupportedException(api);
}
