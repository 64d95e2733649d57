using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Plugboard.Box.Contracts;
using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Runtime.Box;

/// <summary>
/// The sandbox tools the runtime serves itself when a Box is connected: <c>exec</c>, <c>read</c>, <c>write</c>,
/// <c>edit</c>, <c>glob</c> and <c>grep</c>. Every one runs inside a Box session, never on the runtime's host. The
/// session comes from the <c>sessionId</c> argument, or from a <c>context</c> argument (chat, user, conversation,
/// message ids) through the configured session template.
/// </summary>
internal sealed partial class BoxNativeTools(Func<BoxClient?> client, Func<string> template, string profile)
{
    /// <summary>The owner id of the native tools in the tool registry (qualified names are <c>box/exec</c>, ...).</summary>
    public const string Owner = "box";

    private const int MaxEditBytes = 4 * 1024 * 1024;

    private const string SessionProperties = """
        "sessionId": { "type": "string", "description": "The Box session to use. Give this or context." },
        "context": {
          "type": "object",
          "description": "The event the call serves; the session is derived from it by the configured template.",
          "properties": {
            "chatType": { "type": "string" }, "chatId": { "type": "string" }, "userId": { "type": "string" },
            "conversationId": { "type": "string" }, "messageId": { "type": "string" }
          },
          "additionalProperties": false
        }
        """;

    /// <summary>The tools, qualified as <c>box/&lt;name&gt;</c>, for <see cref="Dispatch.ToolRegistry.SetSourceTools"/>.</summary>
    public IReadOnlyList<Dispatch.NativeTool> Create() => [.. Definitions().Select(d => new Dispatch.NativeTool(Owner + "/" + d.Descriptor.Name, d.Descriptor, (arguments, _, cancellationToken) => d.Handler(arguments, cancellationToken)))];

    private IReadOnlyList<(ToolDescriptor Descriptor, Func<JsonElement, CancellationToken, Task<JsonElement>> Handler)> Definitions() =>
    [
        (Describe("exec", "Run a shell command in the sandbox (cwd /workspace). Returns status, exit code, stdout and stderr (long output is cut in the middle).", """
            "command": { "type": "string", "description": "The shell command line." },
            "workdir": { "type": "string", "description": "Absolute working directory (default /workspace)." },
            "timeoutSeconds": { "type": "number", "exclusiveMinimum": 0, "description": "Kill the command after this many seconds." }
            """, "command"), ExecAsync),
        (Describe("read", "Read a text file in the sandbox (relative paths are under /workspace). Symlinks are refused.", """
            "path": { "type": "string" },
            "maxBytes": { "type": "integer", "minimum": 1, "description": "At most this many bytes (default 256 KiB)." }
            """, "path"), ReadAsync),
        (Describe("write", "Create or replace a text file in the sandbox, creating folders as needed. Symlinks are refused.", """
            "path": { "type": "string" },
            "content": { "type": "string" },
            "append": { "type": "boolean", "description": "Append instead of replacing." }
            """, "path", "content"), WriteAsync),
        (Describe("edit", "Replace exact text in a sandbox file. oldText must occur exactly once unless replaceAll is true.", """
            "path": { "type": "string" },
            "oldText": { "type": "string", "minLength": 1 },
            "newText": { "type": "string" },
            "replaceAll": { "type": "boolean" }
            """, "path", "oldText", "newText"), EditAsync),
        (Describe("glob", "List sandbox files matching a glob relative to a folder (*, ?, [abc], ** for any depth), e.g. src/**/*.cs.", """
            "pattern": { "type": "string", "minLength": 1 },
            "path": { "type": "string", "description": "The folder to search (default /workspace)." },
            "maxResults": { "type": "integer", "minimum": 1, "maximum": 5000 }
            """, "pattern"), GlobAsync),
        (Describe("grep", "Search sandbox files for a regular expression (POSIX extended). Returns file, line number and line.", """
            "pattern": { "type": "string", "minLength": 1 },
            "path": { "type": "string", "description": "A folder or file (default /workspace)." },
            "include": { "type": "string", "description": "Only files whose name matches this glob, e.g. *.py." },
            "ignoreCase": { "type": "boolean" },
            "maxResults": { "type": "integer", "minimum": 1, "maximum": 5000 }
            """, "pattern"), GrepAsync),
    ];

    /// <summary>The session id of a call: its <c>sessionId</c>, or its <c>context</c> through the template.</summary>
    public string ResolveSession(JsonElement arguments)
    {
        if (String(arguments, "sessionId") is { } explicitId)
        {
            return explicitId;
        }

        if (arguments.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object)
        {
            var resolved = new BoxSessionContext(String(context, "chatType"), String(context, "chatId"), String(context, "userId"), String(context, "conversationId"), String(context, "messageId"));
            try
            {
                return BoxSessionTemplate.Resolve(template(), resolved);
            }
            catch (ArgumentException ex)
            {
                throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, ex.Message, ("argument", "context"));
            }
        }

        throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, "Pass sessionId, or context (chatType, chatId, userId, conversationId, messageId) so the session can be derived from the session template.", ("argument", "sessionId"));
    }

    private async Task<JsonElement> ExecAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = ResolveSession(arguments);
        var result = await Client().ExecAsync(new BoxExecParams
        {
            SessionId = session,
            Command = String(arguments, "command"),
            Workdir = String(arguments, "workdir"),
            TimeoutSeconds = arguments.TryGetProperty("timeoutSeconds", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null,
            Session = Spec(session),
        }, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(result, BoxJsonContext.Default.BoxExecResult);
    }

    private async Task<JsonElement> ReadAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = await EnsureSessionAsync(arguments, cancellationToken).ConfigureAwait(false);
        var max = arguments.TryGetProperty("maxBytes", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 256 * 1024;
        var file = await Client().ReadFileAsync(new BoxFileReadParams(session, String(arguments, "path")!, max), cancellationToken).ConfigureAwait(false);
        var result = new BoxReadToolResult(file.Path, Encoding.UTF8.GetString(file.Content), file.Size, file.Truncated);
        return JsonSerializer.SerializeToElement(result, BoxToolsJsonContext.Default.BoxReadToolResult);
    }

    private async Task<JsonElement> WriteAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = await EnsureSessionAsync(arguments, cancellationToken).ConfigureAwait(false);
        var append = arguments.TryGetProperty("append", out var a) && a.ValueKind == JsonValueKind.True;
        var result = await Client().WriteFileAsync(new BoxFileWriteParams(session, String(arguments, "path")!, Encoding.UTF8.GetBytes(String(arguments, "content") ?? ""), append), cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(result, BoxJsonContext.Default.BoxFileWriteResult);
    }

    private async Task<JsonElement> EditAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = await EnsureSessionAsync(arguments, cancellationToken).ConfigureAwait(false);
        var path = String(arguments, "path")!;
        var oldText = String(arguments, "oldText")!;
        var newText = String(arguments, "newText") ?? "";
        var replaceAll = arguments.TryGetProperty("replaceAll", out var r) && r.ValueKind == JsonValueKind.True;
        var file = await Client().ReadFileAsync(new BoxFileReadParams(session, path, MaxEditBytes), cancellationToken).ConfigureAwait(false);
        if (file.Truncated)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, $"{file.Path} is larger than {MaxEditBytes / (1024 * 1024)} MiB; edit it with exec (e.g. sed) instead.", ("argument", "path"));
        }

        var text = Encoding.UTF8.GetString(file.Content);
        var count = Occurrences(text, oldText);
        if (count == 0)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, $"oldText does not occur in {file.Path}; read the file and copy the text exactly (whitespace included).", ("argument", "oldText"));
        }

        if (count > 1 && !replaceAll)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, $"oldText occurs {count} times in {file.Path}; include more surrounding text to make it unique, or set replaceAll.", ("argument", "oldText"));
        }

        var edited = replaceAll ? text.Replace(oldText, newText, StringComparison.Ordinal) : ReplaceFirst(text, oldText, newText);
        await Client().WriteFileAsync(new BoxFileWriteParams(session, file.Path, Encoding.UTF8.GetBytes(edited)), cancellationToken).ConfigureAwait(false);
        return JsonSerializer.SerializeToElement(new BoxEditToolResult(file.Path, replaceAll ? count : 1), BoxToolsJsonContext.Default.BoxEditToolResult);
    }

    private async Task<JsonElement> GlobAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = ResolveSession(arguments);
        var root = SandboxPath(String(arguments, "path") ?? "/workspace");
        var max = arguments.TryGetProperty("maxResults", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 500;
        var pattern = GlobToRegex(String(arguments, "pattern")!);
        const int ListLimit = 20_000;
        var listing = await Client().ExecAsync(new BoxExecParams
        {
            SessionId = session,
            Argv = ["/bin/sh", "-c", "cd -- \"$1\" && find . -xdev \\( -type f -o -type l \\) 2>/dev/null | head -n \"$2\"", "glob", root, (ListLimit + 1).ToString(CultureInfo.InvariantCulture)],
            MaxOutputBytes = 4 * 1024 * 1024,
            Session = Spec(session),
        }, cancellationToken).ConfigureAwait(false);
        if (listing.ExitCode != 0 && listing.Stdout.Length == 0)
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.ToolArgumentsInvalid, $"Cannot list {root} in the sandbox: {listing.Stderr.Trim()}", ("argument", "path"));
        }

        var all = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.StartsWith("./", StringComparison.Ordinal) ? l[2..] : l).ToList();
        var matches = all.Where(f => pattern.IsMatch(f)).Order(StringComparer.Ordinal).ToList();
        var truncated = matches.Count > max || all.Count > ListLimit || listing.StdoutTruncated;
        var result = new BoxGlobToolResult(root, [.. matches.Take(max)], truncated);
        return JsonSerializer.SerializeToElement(result, BoxToolsJsonContext.Default.BoxGlobToolResult);
    }

    private async Task<JsonElement> GrepAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = ResolveSession(arguments);
        var root = SandboxPath(String(arguments, "path") ?? "/workspace");
        var max = arguments.TryGetProperty("maxResults", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 200;
        var flags = arguments.TryGetProperty("ignoreCase", out var i) && i.ValueKind == JsonValueKind.True ? "-nHEi" : "-nHE";
        var include = String(arguments, "include") ?? "*";
        var search = await Client().ExecAsync(new BoxExecParams
        {
            SessionId = session,
            Argv = ["/bin/sh", "-c", "find \"$1\" -xdev -type f -name \"$2\" -print0 2>/dev/null | xargs -0 -r grep \"$3\" -e \"$4\" -- 2>/dev/null | head -n \"$5\"", "grep", root, include, flags, String(arguments, "pattern")!, (max + 1).ToString(CultureInfo.InvariantCulture)],
            MaxOutputBytes = 4 * 1024 * 1024,
            Session = Spec(session),
        }, cancellationToken).ConfigureAwait(false);
        var matches = new List<BoxGrepMatch>();
        foreach (var line in search.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var match = GrepLine().Match(line);
            if (match.Success)
            {
                matches.Add(new BoxGrepMatch(match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), match.Groups[3].Value));
            }
        }

        var result = new BoxGrepToolResult([.. matches.Take(max)], matches.Count > max || search.StdoutTruncated);
        return JsonSerializer.SerializeToElement(result, BoxToolsJsonContext.Default.BoxGrepToolResult);
    }

    /// <summary>Creates the session with the configured profile if needed (the file methods do not take a spec).</summary>
    private async Task<string> EnsureSessionAsync(JsonElement arguments, CancellationToken cancellationToken)
    {
        var session = ResolveSession(arguments);
        await Client().CreateSessionAsync(Spec(session), cancellationToken).ConfigureAwait(false);
        return session;
    }

    private BoxSessionSpec Spec(string session) => new() { SessionId = session, Profile = profile };

    private BoxClient Client() => client() ?? throw JsonRpcException.WithData(PlugboardErrorCodes.BoxUnavailable, "The Box is not connected; see the runtime's Box status for why.");

    /// <summary>Translates a glob (<c>*</c>, <c>?</c>, <c>[...]</c>, <c>**</c>) into an anchored regular expression over relative paths.</summary>
    internal static Regex GlobToRegex(string glob)
    {
        var builder = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                builder.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                builder.Append("[^/]*");
            }
            else if (c == '?')
            {
                builder.Append("[^/]");
            }
            else if (c == '[' && glob.IndexOf(']', i + 1) is var end and > 0)
            {
                var set = glob[(i + 1)..end];
                builder.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                i = end;
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(builder.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static string SandboxPath(string path) => path.StartsWith('/') ? path : "/workspace/" + path;

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string ReplaceFirst(string text, string oldText, string newText)
    {
        var index = text.IndexOf(oldText, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, index), newText, text.AsSpan(index + oldText.Length));
    }

    private static string? String(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ToolDescriptor Describe(string name, string description, string properties, params string[] required)
    {
        var schema = $$"""
            {
              "type": "object",
              "properties": { {{SessionProperties}}, {{properties}} },
              "required": [{{string.Join(", ", required.Select(r => "\"" + r + "\""))}}],
              "additionalProperties": false
            }
            """;
        using var document = JsonDocument.Parse(schema);
        return new ToolDescriptor(name, description, document.RootElement.Clone());
    }

    [GeneratedRegex("^(.*?):([0-9]+):(.*)$")]
    private static partial Regex GrepLine();
}

/// <summary>Result of the <c>read</c> tool.</summary>
/// <param name="Path">The absolute path in the sandbox.</param>
/// <param name="Content">The text (UTF-8; invalid bytes replaced).</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Truncated">Whether only the first bytes were returned.</param>
internal sealed record BoxReadToolResult(string Path, string Content, long Size, bool Truncated);

/// <summary>Result of the <c>edit</c> tool.</summary>
internal sealed record BoxEditToolResult(string Path, int Replacements);

/// <summary>Result of the <c>glob</c> tool.</summary>
internal sealed record BoxGlobToolResult(string Root, IReadOnlyList<string> Files, bool Truncated);

/// <summary>One line found by the <c>grep</c> tool.</summary>
internal sealed record BoxGrepMatch(string File, int Line, string Text);

/// <summary>Result of the <c>grep</c> tool.</summary>
internal sealed record BoxGrepToolResult(IReadOnlyList<BoxGrepMatch> Matches, bool Truncated);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BoxReadToolResult))]
[JsonSerializable(typeof(BoxEditToolResult))]
[JsonSerializable(typeof(BoxGlobToolResult))]
[JsonSerializable(typeof(BoxGrepToolResult))]
internal sealed partial class BoxToolsJsonContext : JsonSerializerContext;
