using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plugboard.Protocol.Contracts;

namespace Plugboard.Plugins.WeComBot.Messages;

/// <summary>An image for a stream's final frame (<c>msg_item</c>): JPG or PNG, at most 10 MB.</summary>
/// <param name="Content">The raw bytes.</param>
internal sealed record OutboundImage(byte[] Content)
{
    /// <summary>The <c>msg_item</c> entry: base64 and the MD5 of the raw bytes.</summary>
    public JsonObject ToMsgItem() => new()
    {
        ["msgtype"] = "image",
        ["image"] = new JsonObject { ["base64"] = Convert.ToBase64String(Content), ["md5"] = Convert.ToHexStringLower(MD5.HashData(Content)) },
    };
}

/// <summary>A file to upload and send as its own message.</summary>
/// <param name="Name">The file name.</param>
/// <param name="Content">The bytes.</param>
/// <param name="MediaType">WeCom's media type: file, image, voice or video.</param>
internal sealed record OutboundFile(string Name, byte[] Content, string MediaType);

/// <summary>A message chain rendered for WeCom.</summary>
/// <param name="Markdown">The text parts as Markdown.</param>
/// <param name="Images">Images for the stream's final frame.</param>
/// <param name="Files">Files (and images that cannot ride on a stream) to upload and send.</param>
/// <param name="Cards">Template cards (<c>platform</c> components of kind <c>template_card</c>).</param>
internal sealed record OutboundMessage(string Markdown, IReadOnlyList<OutboundImage> Images, IReadOnlyList<OutboundFile> Files, IReadOnlyList<JsonObject> Cards);

/// <summary>Renders Plugboard message chains into WeCom bodies.</summary>
internal sealed class WeComOutbound(HttpClient http)
{
    /// <summary>At most this many images ride on one stream.</summary>
    public const int MaxStreamImages = 10;

    /// <summary>Largest stream image.</summary>
    public const int MaxStreamImageBytes = 10 * 1024 * 1024;

    /// <summary>Renders a chain: text to Markdown, JPG/PNG images to <c>msg_item</c>, files to uploads, cards passed through.</summary>
    /// <exception cref="ArgumentException">A component cannot be sent (media without content, bad base64).</exception>
    public async Task<OutboundMessage> RenderAsync(IReadOnlyList<MessageComponent> chain, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var images = new List<OutboundImage>();
        var files = new List<OutboundFile>();
        var cards = new List<JsonObject>();
        foreach (var component in chain)
        {
            switch (component)
            {
                case PlainComponent plain:
                    text.Append(plain.Text);
                    break;
                case AtComponent at:
                    text.Append('@').Append(at.Display?.TrimStart('@') ?? at.UserId);
                    break;
                case AtAllComponent:
                    text.Append("@all");
                    break;
                case FaceComponent face:
                    text.Append('[').Append(face.Name ?? face.Id).Append(']');
                    break;
                case ImageComponent image:
                    var bytes = await ContentAsync(image, "image", cancellationToken).ConfigureAwait(false);
                    var type = WeComMediaDownloader.SniffMimeType(bytes);
                    if (type is "image/png" or "image/jpeg" && bytes.Length <= MaxStreamImageBytes && images.Count < MaxStreamImages)
                    {
                        images.Add(new OutboundImage(bytes));
                    }
                    else
                    {
                        files.Add(new OutboundFile("image" + (type == "image/gif" ? ".gif" : string.Empty), bytes, "image"));
                    }

                    break;
                case VoiceComponent voice when voice.Base64 is null && voice.Url is null && voice.Transcript is { } transcript:
                    text.Append(transcript);
                    break;
                case VoiceComponent voice:
                    files.Add(new OutboundFile("voice.amr", await ContentAsync(voice, "voice", cancellationToken).ConfigureAwait(false), "voice"));
                    break;
                case FileComponent file:
                    var content = await ContentAsync(file, "file", cancellationToken).ConfigureAwait(false);
                    files.Add(new OutboundFile(file.Name, content, file.MimeType?.StartsWith("video/", StringComparison.Ordinal) == true ? "video" : "file"));
                    break;
                case PlatformComponent { Kind: "template_card" } card when card.Data.ValueKind == JsonValueKind.Object:
                    cards.Add(JsonNode.Parse(card.Data.GetRawText())!.AsObject());
                    break;
                case PlatformComponent { Kind: "markdown" } markdown when markdown.Data.ValueKind == JsonValueKind.String:
                    text.Append(markdown.Data.GetString());
                    break;
                case PlatformComponent { Kind: "markdown" } markdown when markdown.Data.ValueKind == JsonValueKind.Object && markdown.Data.TryGetProperty("content", out var md):
                    text.Append(md.GetString());
                    break;
                case SourceComponent or QuoteComponent:
                    break;
                case ForwardComponent forward:
                    foreach (var node in forward.Nodes)
                    {
                        text.Append("> ").Append(node.Sender.Name ?? node.Sender.Id).Append(": ").Append(string.Concat(node.Chain.OfType<PlainComponent>().Select(p => p.Text))).Append('\n');
                    }

                    break;
                default:
                    break;
            }
        }

        return new OutboundMessage(text.ToString(), images, files, cards);
    }

    private async Task<byte[]> ContentAsync(MediaComponent media, string kind, CancellationToken cancellationToken)
    {
        if (media.Base64 is { } base64)
        {
            try
            {
                return Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw new ArgumentException($"The {kind} component's base64 is not valid base64.");
            }
        }

        if (media.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            try
            {
                return await http.GetByteArrayAsync(uri, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new ArgumentException($"The {kind} at {url} could not be fetched: {ex.Message}");
            }
        }

        throw new ArgumentException($"The {kind} component has no content WeCom can take: give base64 or an http(s) url (file ids are not supported).");
    }
}
