using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plugboard.Runtime.Plugins;

/// <summary>
/// Turns a JSON Schema document into a graph of <see cref="SchemaNode"/>s, checking every keyword value on the way
/// (our stand-in for meta-schema validation, with messages that name the bad keyword and what it expects).
/// </summary>
/// <remarks>
/// Supported: the 2020-12 core, applicator, validation, unevaluated and meta-data vocabularies; <c>$ref</c> to any
/// location inside the same document (JSON Pointer fragments, <c>$anchor</c>, embedded <c>$id</c> resources);
/// the draft-04 to 2019-09 spellings that tool schemas still use (<c>definitions</c>, array-form <c>items</c> with
/// <c>additionalItems</c>, <c>dependencies</c>, boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c>).
/// Not supported, reported as schema errors: references to other documents (nothing is ever fetched).
/// <c>$dynamicRef</c> and <c>$recursiveRef</c> are resolved statically like <c>$ref</c>. <c>format</c> is an
/// annotation only, as 2020-12 specifies by default.
/// </remarks>
internal sealed class JsonSchemaCompiler
{
    private const string DefaultBase = "https://plugboard.invalid/schema.json";

    private static readonly HashSet<string> KnownDialects = new(StringComparer.Ordinal)
    {
        "https://json-schema.org/draft/2020-12/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft-07/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-04/schema",
    };

    private static readonly string[] TypeNames = ["null", "boolean", "object", "array", "number", "string", "integer"];

    private readonly JsonElement _root;
    private readonly List<JsonSchemaError> _errors = [];
    private readonly Dictionary<string, SchemaNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _anchors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Uri> _baseOfPointer = new(StringComparer.Ordinal);
    private readonly Queue<(SchemaNode Node, string Reference, Uri Base, string Pointer, string Keyword)> _pendingRefs = new();

    private JsonSchemaCompiler(JsonElement root)
    {
        _root = root;
    }

    /// <summary>Compiles <paramref name="schema"/>; on failure returns <see langword="null"/> and the problems.</summary>
    public static SchemaNode? Compile(JsonElement schema, out IReadOnlyList<JsonSchemaError> errors)
    {
        var compiler = new JsonSchemaCompiler(schema);
        var root = compiler.CompileDocument();
        errors = compiler._errors;
        return compiler._errors.Count == 0 ? root : null;
    }

    private SchemaNode CompileDocument()
    {
        if (_root.ValueKind == JsonValueKind.Object && _root.TryGetProperty("$schema", out var dialect))
        {
            if (dialect.ValueKind != JsonValueKind.String)
            {
                Error("", "$schema", $"expected a string (got {Kind(dialect)})");
            }
            else if (!KnownDialects.Contains(dialect.GetString()!.TrimEnd('#')))
            {
                Error("/$schema", "$schema",
                    $"unsupported dialect \"{dialect.GetString()}\" (use https://json-schema.org/draft/2020-12/schema, 2019-09, draft-07, draft-06 or draft-04)");
            }
        }

        var root = Walk(_root, "", new Uri(DefaultBase));
        while (_pendingRefs.TryDequeue(out var pending))
        {
            pending.Node.Ref = Resolve(pending.Reference, pending.Base, pending.Pointer, pending.Keyword);
        }

        return root;
    }

    private SchemaNode Walk(JsonElement element, string pointer, Uri baseUri)
    {
        if (_nodes.TryGetValue(pointer, out var existing))
        {
            return existing;
        }

        var node = new SchemaNode(pointer);
        _nodes[pointer] = node;
        switch (element.ValueKind)
        {
            case JsonValueKind.True:
                node.Boolean = true;
                return node;
            case JsonValueKind.False:
                node.Boolean = false;
                return node;
            case JsonValueKind.Object:
                break;
            default:
                Error(pointer, "", $"expected a JSON Schema object or true/false (got {Kind(element)})");
                node.Boolean = true;
                return node;
        }

        if (element.TryGetProperty("$id", out var id))
        {
            if (id.ValueKind != JsonValueKind.String || !Uri.TryCreate(baseUri, id.GetString(), out var resolved))
            {
                Error(pointer + "/$id", "$id", "expected a URI reference string");
            }
            else
            {
                baseUri = resolved;
                _resources[WithoutFragment(resolved)] = pointer;
            }
        }
        else if (pointer.Length == 0)
        {
            _resources[WithoutFragment(baseUri)] = pointer;
        }

        _baseOfPointer[pointer] = baseUri;

        foreach (var anchorKeyword in (ReadOnlySpan<string>)["$anchor", "$dynamicAnchor"])
        {
            if (element.TryGetProperty(anchorKeyword, out var anchor))
            {
                if (anchor.ValueKind != JsonValueKind.String || !IsAnchorName(anchor.GetString()!))
                {
                    Error(pointer + "/" + anchorKeyword, anchorKeyword, "expected a plain name (letters, digits, '-', '_', '.'; starting with a letter or '_')");
                }
                else
                {
                    _anchors[WithoutFragment(baseUri) + "#" + anchor.GetString()] = pointer;
                }
            }
        }

        foreach (var property in element.EnumerateObject())
        {
            CompileKeyword(node, property.Name, property.Value, pointer, baseUri, element);
        }

        return node;
    }

    private void CompileKeyword(SchemaNode node, string keyword, JsonElement value, string pointer, Uri baseUri, JsonElement schema)
    {
        var at = pointer + "/" + JsonPaths.PointerToken(keyword);
        switch (keyword)
        {
            case "type":
                node.Types = ReadTypes(value, at);
                break;
            case "enum":
                if (Expect(value, JsonValueKind.Array, at, keyword, "an array of allowed values"))
                {
                    node.Enum = [.. value.EnumerateArray().Select(v => v.Clone())];
                }

                break;
            case "const":
                node.HasConst = true;
                node.Const = value.Clone();
                break;
            case "multipleOf":
                if (ExpectNumber(value, at, keyword, positive: true))
                {
                    node.MultipleOf = value.Clone();
                }

                break;
            case "maximum":
                node.Maximum = ReadBound(value, at, keyword, schema, "exclusiveMaximum", ref node.ExclusiveMaximum);
                break;
            case "minimum":
                node.Minimum = ReadBound(value, at, keyword, schema, "exclusiveMinimum", ref node.ExclusiveMinimum);
                break;
            case "exclusiveMaximum":
                if (value.ValueKind != JsonValueKind.True && value.ValueKind != JsonValueKind.False && ExpectNumber(value, at, keyword, positive: false))
                {
                    node.ExclusiveMaximum = value.Clone();
                }

                break;
            case "exclusiveMinimum":
                if (value.ValueKind != JsonValueKind.True && value.ValueKind != JsonValueKind.False && ExpectNumber(value, at, keyword, positive: false))
                {
                    node.ExclusiveMinimum = value.Clone();
                }

                break;
            case "maxLength":
                node.MaxLength = ReadCount(value, at, keyword);
                break;
            case "minLength":
                node.MinLength = ReadCount(value, at, keyword);
                break;
            case "maxItems":
                node.MaxItems = ReadCount(value, at, keyword);
                break;
            case "minItems":
                node.MinItems = ReadCount(value, at, keyword);
                break;
            case "maxProperties":
                node.MaxProperties = ReadCount(value, at, keyword);
                break;
            case "minProperties":
                node.MinProperties = ReadCount(value, at, keyword);
                break;
            case "maxContains":
                node.MaxContains = ReadCount(value, at, keyword);
                break;
            case "minContains":
                node.MinContains = ReadCount(value, at, keyword);
                break;
            case "pattern":
                if (Expect(value, JsonValueKind.String, at, keyword, "a regular expression string"))
                {
                    node.Pattern = ReadRegex(value.GetString()!, at, keyword);
                }

                break;
            case "uniqueItems":
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    node.UniqueItems = value.GetBoolean();
                }
                else
                {
                    Error(at, keyword, $"expected true or false (got {Kind(value)})");
                }

                break;
            case "required":
                node.Required = ReadStringSet(value, at, keyword);
                break;
            case "dependentRequired":
                if (Expect(value, JsonValueKind.Object, at, keyword, "an object of property-name arrays"))
                {
                    node.DependentRequired = [];
                    foreach (var dependency in value.EnumerateObject())
                    {
                        var names = ReadStringSet(dependency.Value, at + "/" + JsonPaths.PointerToken(dependency.Name), keyword);
                        if (names is not null)
                        {
                            node.DependentRequired[dependency.Name] = names;
                        }
                    }
                }

                break;
            case "dependencies":
                if (Expect(value, JsonValueKind.Object, at, keyword, "an object"))
                {
                    foreach (var dependency in value.EnumerateObject())
                    {
                        var dependencyAt = at + "/" + JsonPaths.PointerToken(dependency.Name);
                        if (dependency.Value.ValueKind == JsonValueKind.Array)
                        {
                            var names = ReadStringSet(dependency.Value, dependencyAt, keyword);
                            if (names is not null)
                            {
                                (node.DependentRequired ??= [])[dependency.Name] = names;
                            }
                        }
                        else
                        {
                            (node.DependentSchemas ??= [])[dependency.Name] = Walk(dependency.Value, dependencyAt, baseUri);
                        }
                    }
                }

                break;
            case "properties":
                node.Properties = ReadSchemaMap(value, at, keyword, baseUri);
                break;
            case "dependentSchemas":
                node.DependentSchemas = ReadSchemaMap(value, at, keyword, baseUri);
                break;
            case "$defs":
            case "definitions":
                _ = ReadSchemaMap(value, at, keyword, baseUri);
                break;
            case "patternProperties":
                if (Expect(value, JsonValueKind.Object, at, keyword, "an object of regular expression → schema"))
                {
                    node.PatternProperties = [];
                    foreach (var entry in value.EnumerateObject())
                    {
                        var entryAt = at + "/" + JsonPaths.PointerToken(entry.Name);
                        var regex = ReadRegex(entry.Name, entryAt, keyword);
                        var subschema = Walk(entry.Value, entryAt, baseUri);
                        if (regex is not null)
                        {
                            node.PatternProperties.Add((regex, subschema));
                        }
                    }
                }

                break;
            case "additionalProperties":
                node.AdditionalProperties = Walk(value, at, baseUri);
                break;
            case "propertyNames":
                node.PropertyNames = Walk(value, at, baseUri);
                break;
            case "unevaluatedProperties":
                node.UnevaluatedProperties = Walk(value, at, baseUri);
                break;
            case "unevaluatedItems":
                node.UnevaluatedItems = Walk(value, at, baseUri);
                break;
            case "items":
                if (value.ValueKind == JsonValueKind.Array)
                {
                    // Draft 2019-09 and earlier: the array form of items is today's prefixItems.
                    node.PrefixItems = ReadSchemaArray(value, at, keyword, baseUri);
                    if (schema.TryGetProperty("additionalItems", out var additional))
                    {
                        node.Items = Walk(additional, pointer + "/additionalItems", baseUri);
                    }
                }
                else
                {
                    node.Items = Walk(value, at, baseUri);
                }

                break;
            case "additionalItems":
                break; // Read together with the array form of items; ignored otherwise, as the drafts specify.
            case "prefixItems":
                node.PrefixItems = ReadSchemaArray(value, at, keyword, baseUri);
                break;
            case "contains":
                node.Contains = Walk(value, at, baseUri);
                break;
            case "allOf":
                node.AllOf = ReadSchemaArray(value, at, keyword, baseUri);
                break;
            case "anyOf":
                node.AnyOf = ReadSchemaArray(value, at, keyword, baseUri);
                break;
            case "oneOf":
                node.OneOf = ReadSchemaArray(value, at, keyword, baseUri);
                break;
            case "not":
                node.Not = Walk(value, at, baseUri);
                break;
            case "if":
                node.If = Walk(value, at, baseUri);
                break;
            case "then":
                node.Then = Walk(value, at, baseUri);
                break;
            case "else":
                node.Else = Walk(value, at, baseUri);
                break;
            case "contentSchema":
                _ = Walk(value, at, baseUri);
                break;
            case "$ref":
            case "$dynamicRef":
            case "$recursiveRef":
                if (Expect(value, JsonValueKind.String, at, keyword, "a URI reference string"))
                {
                    node.RefText = value.GetString();
                    _pendingRefs.Enqueue((node, value.GetString()!, baseUri, at, keyword));
                }

                break;
            case "title":
            case "description":
            case "format":
            case "$comment":
            case "contentEncoding":
            case "contentMediaType":
                _ = Expect(value, JsonValueKind.String, at, keyword, "a string");
                break;
            case "examples":
                _ = Expect(value, JsonValueKind.Array, at, keyword, "an array");
                break;
            case "readOnly":
            case "writeOnly":
            case "deprecated":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    Error(at, keyword, $"expected true or false (got {Kind(value)})");
                }

                break;
            default:
                break; // "$id", "$anchor", "$schema", "$vocabulary", "default" and unknown keywords are annotations.
        }
    }

    private SchemaNode? Resolve(string reference, Uri baseUri, string at, string keyword)
    {
        if (!Uri.TryCreate(baseUri, reference, out var target))
        {
            Error(at, keyword, $"\"{reference}\" is not a valid URI reference");
            return null;
        }

        var document = WithoutFragment(target);
        var fragment = Uri.UnescapeDataString(target.Fragment.TrimStart('#'));
        string? pointer = null;
        if (fragment.Length == 0 || fragment[0] == '/')
        {
            if (_resources.TryGetValue(document, out var resourcePointer))
            {
                pointer = resourcePointer + fragment;
            }
        }
        else if (_anchors.TryGetValue(document + "#" + fragment, out var anchorPointer))
        {
            pointer = anchorPointer;
        }

        if (pointer is null)
        {
            Error(at, keyword,
                $"cannot resolve \"{reference}\": only references inside this schema are supported (put shared definitions under $defs and use \"#/$defs/name\")");
            return null;
        }

        if (_nodes.TryGetValue(pointer, out var node))
        {
            return node;
        }

        // A reference into a location the walk did not visit (e.g. under an unknown keyword): compile it now.
        if (!TryNavigate(pointer, out var element))
        {
            Error(at, keyword, $"cannot resolve \"{reference}\": nothing exists at \"#{pointer}\"");
            return null;
        }

        return Walk(element, pointer, NearestBase(pointer));
    }

    private bool TryNavigate(string pointer, out JsonElement element)
    {
        element = _root;
        if (pointer.Length == 0)
        {
            return true;
        }

        foreach (var rawToken in pointer[1..].Split('/'))
        {
            var token = rawToken.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(token, out var child))
            {
                element = child;
            }
            else if (element.ValueKind == JsonValueKind.Array
                && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index < element.GetArrayLength())
            {
                element = element[index];
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private Uri NearestBase(string pointer)
    {
        while (true)
        {
            if (_baseOfPointer.TryGetValue(pointer, out var uri))
            {
                return uri;
            }

            if (pointer.Length == 0)
            {
                return new Uri(DefaultBase);
            }

            pointer = pointer[..pointer.LastIndexOf('/')];
        }
    }

    private SchemaTypes ReadTypes(JsonElement value, string at)
    {
        var types = SchemaTypes.None;
        if (value.ValueKind == JsonValueKind.String)
        {
            return ReadType(value, at);
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            Error(at, "type", $"expected a type name or a non-empty array of type names (got {Kind(value)})");
            return SchemaTypes.None;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var type = ReadType(item, at + "/" + index.ToString(CultureInfo.InvariantCulture));
            if ((types & type) != 0)
            {
                Error(at, "type", $"lists \"{item}\" twice");
            }

            types |= type;
            index++;
        }

        return types;
    }

    private SchemaTypes ReadType(JsonElement value, string at)
    {
        var name = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var type = name switch
        {
            "null" => SchemaTypes.Null,
            "boolean" => SchemaTypes.Boolean,
            "object" => SchemaTypes.Object,
            "array" => SchemaTypes.Array,
            "number" => SchemaTypes.Number,
            "string" => SchemaTypes.String,
            "integer" => SchemaTypes.Integer,
            _ => SchemaTypes.None,
        };
        if (type == SchemaTypes.None)
        {
            var got = name is null ? Kind(value) : $"\"{name}\"";
            Error(at, "type", $"{got} is not a JSON Schema type (expected one of {string.Join(", ", TypeNames)})");
        }

        return type;
    }

    private JsonElement? ReadBound(JsonElement value, string at, string keyword, JsonElement schema, string exclusiveKeyword, ref JsonElement? exclusive)
    {
        if (!ExpectNumber(value, at, keyword, positive: false))
        {
            return null;
        }

        // Draft-04: "exclusiveMinimum": true turns "minimum" into an exclusive bound.
        if (schema.TryGetProperty(exclusiveKeyword, out var flag) && flag.ValueKind == JsonValueKind.True)
        {
            exclusive = value.Clone();
            return null;
        }

        return value.Clone();
    }

    private long? ReadCount(JsonElement value, string at, string keyword)
    {
        if (value.ValueKind == JsonValueKind.Number && SchemaNode.IsInteger(value))
        {
            if (value.TryGetInt64(out var count) && count >= 0)
            {
                return count;
            }

            if (value.TryGetDecimal(out var big) && big > 0)
            {
                return long.MaxValue;
            }
        }

        Error(at, keyword, $"expected a non-negative integer (got {Describe(value)})");
        return null;
    }

    private string[]? ReadStringSet(JsonElement value, string at, string keyword)
    {
        if (!Expect(value, JsonValueKind.Array, at, keyword, "an array of property names"))
        {
            return null;
        }

        var names = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Error(at + "/" + index.ToString(CultureInfo.InvariantCulture), keyword, $"expected a property name string (got {Kind(item)})");
            }
            else if (names.Contains(item.GetString()!))
            {
                Error(at + "/" + index.ToString(CultureInfo.InvariantCulture), keyword, $"\"{item.GetString()}\" is listed twice");
            }
            else
            {
                names.Add(item.GetString()!);
            }

            index++;
        }

        return [.. names];
    }

    private Dictionary<string, SchemaNode>? ReadSchemaMap(JsonElement value, string at, string keyword, Uri baseUri)
    {
        if (!Expect(value, JsonValueKind.Object, at, keyword, "an object of subschemas"))
        {
            return null;
        }

        var map = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            map[entry.Name] = Walk(entry.Value, at + "/" + JsonPaths.PointerToken(entry.Name), baseUri);
        }

        return map;
    }

    private SchemaNode[]? ReadSchemaArray(JsonElement value, string at, string keyword, Uri baseUri)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            Error(at, keyword, $"expected a non-empty array of subschemas (got {Describe(value)})");
            return null;
        }

        var nodes = new SchemaNode[value.GetArrayLength()];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = Walk(value[i], at + "/" + i.ToString(CultureInfo.InvariantCulture), baseUri);
        }

        return nodes;
    }

    private Regex? ReadRegex(string pattern, string at, string keyword)
    {
        try
        {
            return SchemaNode.CreateRegex(pattern);
        }
        catch (ArgumentException ex)
        {
            Error(at, keyword, $"\"{pattern}\" is not a valid regular expression ({ex.Message})");
            return null;
        }
    }

    private bool Expect(JsonElement value, JsonValueKind kind, string at, string keyword, string expected)
    {
        if (value.ValueKind == kind)
        {
            return true;
        }

        Error(at, keyword, $"expected {expected} (got {Kind(value)})");
        return false;
    }

    private bool ExpectNumber(JsonElement value, string at, string keyword, bool positive)
    {
        if (value.ValueKind == JsonValueKind.Number && (!positive || value.GetDouble() > 0))
        {
            return true;
        }

        Error(at, keyword, $"expected {(positive ? "a number greater than 0" : "a number")} (got {Describe(value)})");
        return false;
    }

    private void Error(string pointer, string keyword, string message)
        => _errors.Add(new JsonSchemaError(PointerToPath(pointer), pointer, keyword, message));

    internal static string PointerToPath(string pointer)
    {
        var path = JsonPaths.Root;
        if (pointer.Length == 0)
        {
            return path;
        }

        foreach (var rawToken in pointer[1..].Split('/'))
        {
            var token = rawToken.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            path = token.Length > 0 && token.All(char.IsAsciiDigit) && token.Length < 10
                ? JsonPaths.Index(path, int.Parse(token, CultureInfo.InvariantCulture))
                : JsonPaths.Property(path, token);
        }

        return path;
    }

    private static string WithoutFragment(Uri uri) => uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.Fragment, UriFormat.UriEscaped);

    private static bool IsAnchorName(string name)
        => name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    internal static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.String => $"string \"{Truncate(value.GetString()!)}\"",
        _ => Kind(value),
    };

    internal static string Truncate(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
