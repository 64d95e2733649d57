using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plugboard.Protocol.Contracts;

/// <summary>
/// One component of a message chain. Serialized with a <c>type</c> discriminator:
/// <c>source, plain, at, atAll, image, voice, file, quote, face, forward, unknown, platform</c>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(SourceComponent), "source")]
[JsonDerivedType(typeof(PlainComponent), "plain")]
[JsonDerivedType(typeof(AtComponent), "at")]
[JsonDerivedType(typeof(AtAllComponent), "atAll")]
[JsonDerivedType(typeof(ImageComponent), "image")]
[JsonDerivedType(typeof(VoiceComponent), "voice")]
[JsonDerivedType(typeof(FileComponent), "file")]
[JsonDerivedType(typeof(QuoteComponent), "quote")]
[JsonDerivedType(typeof(FaceComponent), "face")]
[JsonDerivedType(typeof(ForwardComponent), "forward")]
[JsonDerivedType(typeof(UnknownComponent), "unknown")]
[JsonDerivedType(typeof(PlatformComponent), "platform")]
public abstract record MessageComponent;

/// <summary>The message's own id and time (first in a received chain).</summary>
/// <param name="MessageId">The platform message id.</param>
/// <param name="Time">When it was sent.</param>
public sealed record SourceComponent(string MessageId, DateTimeOffset Time) : MessageComponent;

/// <summary>Plain text.</summary>
/// <param name="Text">The text.</param>
public sealed record PlainComponent(string Text) : MessageComponent;

/// <summary>A mention of one user.</summary>
/// <param name="UserId">The mentioned user.</param>
/// <param name="Display">How it is shown, e.g. <c>@Alice</c>.</param>
public sealed record AtComponent(string UserId, string? Display = null) : MessageComponent;

/// <summary>A mention of everyone.</summary>
public sealed record AtAllComponent : MessageComponent;

/// <summary>
/// Media by URL, by base64 content or by a platform file handle — exactly one of <paramref name="Url"/>,
/// <paramref name="Base64"/> and <paramref name="FileId"/> is expected.
/// </summary>
/// <param name="Url">A URL the receiver can fetch.</param>
/// <param name="Base64">The content, base64-encoded.</param>
/// <param name="FileId">A platform or runtime file handle.</param>
/// <param name="MimeType">The content type, if known.</param>
public abstract record MediaComponent(string? Url, string? Base64, string? FileId, string? MimeType) : MessageComponent;

/// <summary>An image.</summary>
/// <param name="Url">A URL.</param>
/// <param name="Base64">Base64 content.</param>
/// <param name="FileId">A file handle.</param>
/// <param name="MimeType">The content type.</param>
public sealed record ImageComponent(string? Url = null, string? Base64 = null, string? FileId = null, string? MimeType = null) : MediaComponent(Url, Base64, FileId, MimeType);

/// <summary>A voice message.</summary>
/// <param name="Url">A URL.</param>
/// <param name="Base64">Base64 content.</param>
/// <param name="FileId">A file handle.</param>
/// <param name="MimeType">The content type.</param>
/// <param name="DurationSeconds">Its length.</param>
/// <param name="Transcript">Text the platform transcribed, if any.</param>
public sealed record VoiceComponent(string? Url = null, string? Base64 = null, string? FileId = null, string? MimeType = null, double? DurationSeconds = null, string? Transcript = null) : MediaComponent(Url, Base64, FileId, MimeType);

/// <summary>A file.</summary>
/// <param name="Name">The file name (preserved from the platform).</param>
/// <param name="Url">A URL.</param>
/// <param name="Base64">Base64 content.</param>
/// <param name="FileId">A file handle.</param>
/// <param name="MimeType">The content type.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record FileComponent(string Name, string? Url = null, string? Base64 = null, string? FileId = null, string? MimeType = null, long? Size = null) : MediaComponent(Url, Base64, FileId, MimeType);

/// <summary>A quoted (replied-to) message.</summary>
/// <param name="MessageId">The quoted message.</param>
/// <param name="SenderId">Its sender.</param>
/// <param name="Chain">Its content, when the platform provides it.</param>
public sealed record QuoteComponent(string MessageId, string? SenderId = null, IReadOnlyList<MessageComponent>? Chain = null) : MessageComponent;

/// <summary>A platform emoji/sticker.</summary>
/// <param name="Id">The platform's face id.</param>
/// <param name="Name">Its name.</param>
public sealed record FaceComponent(string Id, string? Name = null) : MessageComponent;

/// <summary>A forwarded bundle of messages.</summary>
/// <param name="Nodes">The forwarded messages.</param>
public sealed record ForwardComponent(IReadOnlyList<ForwardNode> Nodes) : MessageComponent;

/// <summary>One forwarded message.</summary>
/// <param name="Sender">Who sent it.</param>
/// <param name="Chain">Its content.</param>
/// <param name="Time">When.</param>
public sealed record ForwardNode(User Sender, IReadOnlyList<MessageComponent> Chain, DateTimeOffset? Time = null);

/// <summary>Content the adapter could not map; the raw platform payload is kept.</summary>
/// <param name="Raw">The platform's raw element.</param>
/// <param name="Description">A human-readable hint.</param>
public sealed record UnknownComponent(JsonElement? Raw = null, string? Description = null) : MessageComponent;

/// <summary>Platform-specific content (cards, buttons, markdown) passed through to the adapter.</summary>
/// <param name="Platform">The adapter platform, e.g. <c>qqbot</c>.</param>
/// <param name="Kind">The platform's kind, e.g. <c>markdown</c> or <c>template_card</c>.</param>
/// <param name="Data">The platform payload.</param>
public sealed record PlatformComponent(string Platform, string Kind, JsonElement Data) : MessageComponent;
