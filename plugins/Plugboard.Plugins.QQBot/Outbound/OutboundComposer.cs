using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Plugins.QQBot.Api;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.QQBot.Outbound;

/// <summary>What one outbound QQ message carries.</summary>
internal enum OutboundKind
{
    /// <summary>Text (<c>msg_type</c> 0, or markdown when configured or when a keyboard is attached).</summary>
    Text,

    /// <summary>A markdown object (<c>msg_type</c> 2).</summary>
    Markdown,

    /// <summary>An ark template (<c>msg_type</c> 3).</summary>
    Ark,

    /// <summary>An embed (guild channels).</summary>
    Embed,

    /// <summary>An image, voice, video or file (<c>msg_type</c> 7 after a rich-media upload).</summary>
    Media,
}

/// <summary>One QQ message to send.</summary>
/// <param name="Kind">What it carries.</param>
/// <param name="Text">The text (<see cref="OutboundKind.Text"/>).</param>
/// <param name="Payload">The markdown, ark or embed object.</param>
/// <param name="Media">The media (<see cref="OutboundKind.Media"/>).</param>
/// <param name="Keyboard">A keyboard attached to a text or markdown message.</param>
internal sealed record OutboundMessage(OutboundKind Kind, string? Text = null, JsonNode? Payload = null, MediaComponent? Media = null, JsonNode? Keyboard = null);

/// <summary>
/// Splits a message chain into QQ messages, keeping the chain's order: neighbouring text, mentions and faces become
/// one text message; each media component its own media message; <c>qqbot</c> platform components
/// (<c>markdown</c>, <c>keyboard</c>, <c>ark</c>, <c>embed</c>) their own message, a keyboard riding on the text or
/// markdown message before it (or after it, if none came before).
/// </summary>
internal static class OutboundComposer
{
    /// <summary>Composes the messages of a chain for a chat.</summary>
    /// <returns>The messages, and the message id of a Quote component (guild replies quote it).</returns>
    /// <exception cref="QQApiException">Nothing to send, or a keyboard without text.</exception>
    public static (IReadOnlyList<OutboundMessage> Messages, string? QuoteId) Compose(QQChat chat, IReadOnlyList<MessageComponent>? chain)
    {
        var messages = new List<OutboundMessage>();
        var text = new System.Text.StringBuilder();
        JsonNode? pendingKeyboard = null;
        string? quoteId = null;

        void Flush()
        {
            if (text.ToString().Trim().Length > 0)
            {
                messages.Add(new OutboundMessage(OutboundKind.Text, text.ToString().Trim()));
            }

            text.Clear();
        }

        void Add(OutboundMessage message)
        {
            Flush();
            if (pendingKeyboard is not null && message.Kind is OutboundKind.Text or OutboundKind.Markdown)
            {
                message = message with { Keyboard = pendingKeyboard };
                pendingKeyboard = null;
            }

            messages.Add(message);
        }

        foreach (var component in chain ?? [])
        {
            switch (component)
            {
                case PlainComponent plain:
                    text.Append(plain.Text);
                    break;
                case AtComponent at:
                    text.Append(chat.Scene is QQScene.GuildChannel or QQScene.GuildDirect ? $"<@{at.UserId}>" : at.Display ?? "@" + at.UserId);
                    break;
                case AtAllComponent when chat.Scene == QQScene.GuildChannel:
                    text.Append("@everyone");
                    break;
                case FaceComponent face when chat.Scene is QQScene.GuildChannel or QQScene.GuildDirect:
                    text.Append("<emoji:").Append(face.Id).Append('>');
                    break;
                case QuoteComponent quote:
                    quoteId ??= quote.MessageId;
                    break;
                case MediaComponent media:
                    Add(new OutboundMessage(OutboundKind.Media, Media: media));
                    break;
                case PlatformComponent { Platform: "qqbot" } platform:
                    switch (platform.Kind)
                    {
                        case "markdown":
                            Add(new OutboundMessage(OutboundKind.Markdown, Payload: platform.Data.ValueKind == JsonValueKind.String ? new JsonObject { ["content"] = platform.Data.GetString() } : Node(platform.Data, "markdown")));
                            break;
                        case "ark":
                            Add(new OutboundMessage(OutboundKind.Ark, Payload: Node(platform.Data, "ark")));
                            break;
                        case "embed":
                            Add(new OutboundMessage(OutboundKind.Embed, Payload: Node(platform.Data, "embed")));
                            break;
                        case "keyboard":
                            var keyboard = Keyboard(platform.Data);
                            Flush();
                            var index = messages.FindLastIndex(m => m.Kind is OutboundKind.Text or OutboundKind.Markdown);
                            if (index >= 0 && messages[index].Keyboard is null)
                            {
                                messages[index] = messages[index] with { Keyboard = keyboard };
                            }
                            else
                            {
                                pendingKeyboard = keyboard;
                            }

                            break;
                        default:
                            throw new QQApiException(QQErrorKind.InvalidRequest, $"Unknown qqbot platform component kind '{platform.Kind}': use markdown, keyboard, ark or embed.");
                    }

                    break;
            }
        }

        Flush();
        if (pendingKeyboard is not null)
        {
            var index = messages.FindLastIndex(m => m.Kind is OutboundKind.Text or OutboundKind.Markdown);
            if (index < 0)
            {
                throw new QQApiException(QQErrorKind.InvalidRequest, "A keyboard needs a text or markdown message to ride on; add text to the chain.");
            }

            messages[index] = messages[index] with { Keyboard = pendingKeyboard };
        }

        if (messages.Count == 0)
        {
            throw new QQApiException(QQErrorKind.InvalidRequest, "The message chain has nothing QQ can send (text, media, or qqbot markdown/keyboard/ark/embed components).", code: 50006);
        }

        return (messages, quoteId);
    }

    /// <summary>A keyboard object: <c>{"content":{"rows":[...]}}</c>, <c>{"id":"template"}</c>, or bare <c>{"rows":[...]}</c> (wrapped).</summary>
    private static JsonNode Keyboard(JsonElement data)
    {
        var node = Node(data, "keyboard");
        return node is JsonObject obj && obj.ContainsKey("rows") ? new JsonObject { ["content"] = node } : node;
    }

    private static JsonNode Node(JsonElement data, string kind)
        => data.ValueKind == JsonValueKind.Object
            ? JsonNode.Parse(data.GetRawText())!
            : throw new QQApiException(QQErrorKind.InvalidRequest, $"A qqbot '{kind}' component needs a JSON object as data, got {data.ValueKind}.");
}
