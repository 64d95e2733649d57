using System.Security.Cryptography;
using System.Text;

namespace Plugboard.Runtime.Box;

/// <summary>
/// Where a sandbox tool call comes from: the chat, the user and the conversation of the event being handled, and the
/// message itself. A bot passes its event's ids; the session template picks which of them scope a Box session.
/// </summary>
/// <param name="ChatType">The kind of chat (e.g. <c>group</c>, <c>private</c>).</param>
/// <param name="ChatId">The chat (group or private chat) id.</param>
/// <param name="UserId">The sender's id.</param>
/// <param name="ConversationId">The conversation (dialogue context) id.</param>
/// <param name="MessageId">The message id.</param>
public sealed record BoxSessionContext(string? ChatType = null, string? ChatId = null, string? UserId = null, string? ConversationId = null, string? MessageId = null);

/// <summary>The built-in session templates: which part of a <see cref="BoxSessionContext"/> scopes a Box session.</summary>
public static class BoxSessionTemplates
{
    /// <summary>One session per chat: everyone in a group shares a sandbox (the default).</summary>
    public const string PerChat = "{chatType}_{chatId}";

    /// <summary>One session per user within a chat.</summary>
    public const string PerUserInChat = "{chatType}_{chatId}_{userId}";

    /// <summary>One session per conversation within a chat.</summary>
    public const string PerConversation = "{chatType}_{chatId}_{conversationId}";

    /// <summary>One session per message (full isolation, nothing carries over).</summary>
    public const string PerMessage = "msg_{messageId}";
}

/// <summary>
/// Resolves a session template such as <c>{chatType}_{chatId}_{userId}</c> against a context. Unlike the anchor, a
/// variable the context lacks is an error, not <c>unknown</c>: silently merging every user into one "unknown" session
/// would share one sandbox between people. Values are reduced to the Box's id alphabet, and ids longer than 64
/// characters are shortened with a hash so distinct contexts stay distinct.
/// </summary>
public static class BoxSessionTemplate
{
    private static readonly string[] Variables = ["chatType", "chatId", "userId", "conversationId", "messageId"];

    /// <summary>Checks a template's syntax and variables.</summary>
    public static bool TryValidate(string? template, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(template))
        {
            problem = "the template is empty.";
            return false;
        }

        var names = Names(template, out var syntax);
        if (syntax is not null)
        {
            problem = syntax;
            return false;
        }

        foreach (var name in names)
        {
            if (!Variables.Contains(name, StringComparer.Ordinal))
            {
                problem = $"unknown variable {{{name}}}; use {string.Join(", ", Variables.Select(v => "{" + v + "}"))}.";
                return false;
            }
        }

        return true;
    }

    /// <summary>The session id for a context.</summary>
    /// <exception cref="ArgumentException">The template is invalid or the context lacks a value it needs.</exception>
    public static string Resolve(string template, BoxSessionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!TryValidate(template, out var problem))
        {
            throw new ArgumentException($"Invalid session template '{template}': {problem}", nameof(template));
        }

        var builder = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                builder.Append(Clean(template[i..]));
                break;
            }

            builder.Append(Clean(template[i..open]));
            var close = template.IndexOf('}', open);
            var name = template[(open + 1)..close];
            var value = name switch
            {
                "chatType" => context.ChatType,
                "chatId" => context.ChatId,
                "userId" => context.UserId,
                "conversationId" => context.ConversationId,
                _ => context.MessageId,
            };
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException($"The session template '{template}' needs {{{name}}}, but the context has no {name}.", nameof(context));
            }

            builder.Append(Clean(value));
            i = close + 1;
        }

        return Shorten(builder.ToString());
    }

    private static IEnumerable<string> Names(string template, out string? problem)
    {
        problem = null;
        var names = new List<string>();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var stray = template.IndexOf('}', i);
            if (stray >= 0 && (open < 0 || stray < open))
            {
                problem = "a '}' has no matching '{'.";
                return names;
            }

            if (open < 0)
            {
                break;
            }

            var close = template.IndexOf('}', open);
            if (close < 0)
            {
                problem = "a '{' is not closed.";
                return names;
            }

            names.Add(template[(open + 1)..close]);
            i = close + 1;
        }

        return names;
    }

    private static string Clean(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-');
        }

        return builder.ToString();
    }

    private static string Shorten(string id)
    {
        if (id.Length == 0 || !char.IsAsciiLetterOrDigit(id[0]))
        {
            id = "s" + id;
        }

        if (id.Length <= 64)
        {
            return id;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..12];
        return id[..51] + "-" + hash;
    }
}
