using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Plugboard.Protocol.Contracts;
using Plugboard.Sdk;

namespace Plugboard.Plugins.Echo;

/// <summary>
/// Answers <c>message.received</c> through the bot that received it: <c>echo: &lt;text&gt;</c> as one reply, or — when
/// the text starts with "stream" — as a streamed reply, one word per chunk, ending with the final marker. Messages
/// from bots and messages without text are left alone.
/// </summary>
internal sealed partial class EchoListener(EchoSettingsHolder settings, ILogger<EchoListener> logger) : IEventListener
{
    public async ValueTask HandleAsync(EventContext context)
    {
        var message = context.GetData<MessageEventData>();
        if (message is null || message.Sender.IsBot == true)
        {
            return;
        }

        var text = message.PlainText.Trim();
        if (text.Length == 0)
        {
            return;
        }

        var current = settings.Current;
        var answer = current.Prefix + text;
        if (text.StartsWith("stream", StringComparison.OrdinalIgnoreCase))
        {
            var result = await context.ReplyStreamAsync(Words(answer, current.StreamChunkDelayMs, context.CancellationToken));
            LogReplied(logger, context.Event.BotId, message.MessageId, "streamed", result.MessageId);
        }
        else
        {
            var result = await context.ReplyAsync(answer);
            LogReplied(logger, context.Event.BotId, message.MessageId, "replied", result.MessageId);
        }
    }

    /// <summary>The text in word-sized chunks (each keeps its trailing space, so the chunks concatenate to the text).</summary>
    internal static async IAsyncEnumerable<string> Words(string text, int delayMs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var start = 0;
        while (start < text.Length)
        {
            var space = text.IndexOf(' ', start);
            var end = space < 0 ? text.Length : space + 1;
            if (start > 0 && delayMs > 0)
            {
                await Task.Delay(delayMs, cancellationToken);
            }

            yield return text[start..end];
            start = end;
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "[bot {BotId}] {How} to message {MessageId} (sent as {SentId}).")]
    private static partial void LogReplied(ILogger logger, string? botId, string messageId, string how, string? sentId);
}
