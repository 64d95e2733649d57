using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plugboard.Runtime.Plugins;

/// <summary>The JSON types a schema's <c>type</c> keyword allows.</summary>
[Flags]
internal enum SchemaTypes
{
    None = 0,
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    String = 32,
    Integer = 64,
}

/// <summary>
/// One compiled (sub)schema and its evaluation. Built by <see cref="JsonSchemaCompiler"/>; immutable afterwards, so a
/// compiled schema can be evaluated from many threads at once.
/// </summary>
internal sealed class SchemaNode
{
    private const int MaxDepth = 256;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);

#pragma warning disable SA1401, CA1051 // Plain data filled in by the compiler.
    public bool? Boolean;
    public SchemaTypes Types;
    public JsonElement[]? Enum;
    public bool HasConst;
    public JsonElement Const;
    public JsonElement? MultipleOf;
    public JsonElement? Maximum;
    public JsonElement? ExclusiveMaximum;
    public JsonElement? Minimum;
    public JsonElement? ExclusiveMinimum;
    public long? MaxLength;
    public long? MinLength;
    public long? MaxItems;
    public long? MinItems;
    public long? MaxProperties;
    public long? MinProperties;
    public long? MaxContains;
    public long? MinContains;
    public Regex? Pattern;
    public bool UniqueItems;
    public string[]? Required;
    public Dictionary<string, string[]>? DependentRequired;
    public Dictionary<string, SchemaNode>? Properties;
    public List<(Regex Regex, SchemaNode Schema)>? PatternProperties;
    public SchemaNode? AdditionalProperties;
    public SchemaNode? PropertyNames;
    public SchemaNode? UnevaluatedProperties;
    public SchemaNode? UnevaluatedItems;
    public SchemaNode[]? PrefixItems;
    public SchemaNode? Items;
    public SchemaNode? Contains;
    public SchemaNode[]? AllOf;
    public SchemaNode[]? AnyOf;
    public SchemaNode[]? OneOf;
    public SchemaNode? Not;
    public SchemaNode? If;
    public SchemaNode? Then;
    public SchemaNode? Else;
    public Dictionary<string, SchemaNode>? DependentSchemas;
    public SchemaNode? Ref;
    public string? RefText;
#pragma warning restore SA1401, CA1051

    public SchemaNode(string pointer)
    {
        Pointer = pointer;
    }

    /// <summary>The node's JSON Pointer inside its schema document.</summary>
    public string Pointer { get; }

    public static Regex CreateRegex(string pattern)
    {
        try
        {
            // Linear-time matching where the pattern allows it: instance values come from untrusted peers (LLMs, users).
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (NotSupportedException)
        {
            // Look-arounds and back-references need the backtracking engine; the timeout bounds its cost.
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
    }

    /// <summary>Evaluates <paramref name="instance"/>; errors go to <paramref name="sink"/> (or stop at the first failure when it is null).</summary>
    public bool Evaluate(JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        if (Boolean is { } constant)
        {
            if (!constant)
            {
                sink?.Add(location, "false", "no value is allowed here");
            }

            return constant;
        }

        if (depth > MaxDepth)
        {
            sink?.Add(location, "$ref", $"schema nesting is deeper than {MaxDepth} levels (a $ref loop that never consumes input?)");
            return false;
        }

        if ((UnevaluatedProperties is not null || UnevaluatedItems is not null) && evaluated is null)
        {
            evaluated = new Evaluated();
        }

        if (Types != SchemaTypes.None && !MatchesType(instance, Types))
        {
            // Further checks on a value of the wrong type would only add noise.
            sink?.Add(location, "type", $"expected {DescribeTypes(Types)} (got {JsonSchemaCompiler.Kind(instance)})");
            return false;
        }

        var valid = true;

        if (Ref is not null && !Ref.Evaluate(instance, location, sink, evaluated, depth + 1))
        {
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (!EvaluateAssertions(instance, location, sink))
        {
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (instance.ValueKind == JsonValueKind.Object && !EvaluateObject(instance, location, sink, evaluated, depth))
        {
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (instance.ValueKind == JsonValueKind.Array && !EvaluateArray(instance, location, sink, evaluated, depth))
        {
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (!EvaluateApplicators(instance, location, sink, evaluated, depth))
        {
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (!EvaluateUnevaluated(instance, location, sink, evaluated, depth))
        {
            valid = false;
        }

        return valid;
    }

    private bool EvaluateAssertions(JsonElement instance, InstanceLocation location, ErrorSink? sink)
    {
        var valid = true;
        if (Enum is not null && !Enum.Any(allowed => JsonElement.DeepEquals(allowed, instance)))
        {
            var choices = string.Join(", ", Enum.Take(10).Select(e => e.GetRawText())) + (Enum.Length > 10 ? ", ..." : "");
            sink?.Add(location, "enum", $"expected one of {choices} (got {Show(instance)})");
            valid = false;
        }

        if (HasConst && !JsonElement.DeepEquals(Const, instance))
        {
            sink?.Add(location, "const", $"expected {Show(Const)} (got {Show(instance)})");
            valid = false;
        }

        if (instance.ValueKind == JsonValueKind.Number)
        {
            valid &= CheckNumber(instance, location, sink);
        }
        else if (instance.ValueKind == JsonValueKind.String)
        {
            valid &= CheckString(instance.GetString()!, location, sink);
        }

        return valid;
    }

    private bool CheckNumber(JsonElement instance, InstanceLocation location, ErrorSink? sink)
    {
        var valid = true;
        if (Maximum is { } maximum && CompareNumbers(instance, maximum) > 0)
        {
            sink?.Add(location, "maximum", $"must be at most {maximum.GetRawText()} (got {instance.GetRawText()})");
            valid = false;
        }

        if (ExclusiveMaximum is { } exclusiveMaximum && CompareNumbers(instance, exclusiveMaximum) >= 0)
        {
            sink?.Add(location, "exclusiveMaximum", $"must be less than {exclusiveMaximum.GetRawText()} (got {instance.GetRawText()})");
            valid = false;
        }

        if (Minimum is { } minimum && CompareNumbers(instance, minimum) < 0)
        {
            sink?.Add(location, "minimum", $"must be at least {minimum.GetRawText()} (got {instance.GetRawText()})");
            valid = false;
        }

        if (ExclusiveMinimum is { } exclusiveMinimum && CompareNumbers(instance, exclusiveMinimum) <= 0)
        {
            sink?.Add(location, "exclusiveMinimum", $"must be greater than {exclusiveMinimum.GetRawText()} (got {instance.GetRawText()})");
            valid = false;
        }

        if (MultipleOf is { } multipleOf && !IsMultipleOf(instance, multipleOf))
        {
            sink?.Add(location, "multipleOf", $"must be a multiple of {multipleOf.GetRawText()} (got {instance.GetRawText()})");
            valid = false;
        }

        return valid;
    }

    private bool CheckString(string text, InstanceLocation location, ErrorSink? sink)
    {
        var valid = true;
        if (MinLength is not null || MaxLength is not null)
        {
            var length = CountCodePoints(text);
            if (length < MinLength)
            {
                sink?.Add(location, "minLength", $"must be at least {MinLength} character{(MinLength == 1 ? "" : "s")} long (got {length})");
                valid = false;
            }

            if (length > MaxLength)
            {
                sink?.Add(location, "maxLength", $"must be at most {MaxLength} character{(MaxLength == 1 ? "" : "s")} long (got {length})");
                valid = false;
            }
        }

        if (Pattern is not null)
        {
            bool matches;
            try
            {
                matches = Pattern.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                sink?.Add(location, "pattern", $"matching the pattern \"{Pattern}\" took too long; use a simpler pattern or a shorter value");
                return false;
            }

            if (!matches)
            {
                sink?.Add(location, "pattern", $"does not match the pattern \"{Pattern}\" (got \"{JsonSchemaCompiler.Truncate(text)}\")");
                valid = false;
            }
        }

        return valid;
    }

    private bool EvaluateObject(JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        var valid = true;
        var count = 0;
        foreach (var property in instance.EnumerateObject())
        {
            count++;
            var childLocation = location.Property(property.Name);
            var matched = false;
            if (Properties is not null && Properties.TryGetValue(property.Name, out var propertySchema))
            {
                matched = true;
                if (!propertySchema.Evaluate(property.Value, childLocation, sink, null, depth + 1))
                {
                    valid = false;
                    if (sink is null)
                    {
                        return false;
                    }
                }
            }

            if (PatternProperties is not null)
            {
                foreach (var (regex, schema) in PatternProperties)
                {
                    if (!SafeIsMatch(regex, property.Name))
                    {
                        continue;
                    }

                    matched = true;
                    if (!schema.Evaluate(property.Value, childLocation, sink, null, depth + 1))
                    {
                        valid = false;
                        if (sink is null)
                        {
                            return false;
                        }
                    }
                }
            }

            if (!matched && AdditionalProperties is not null)
            {
                matched = true;
                if (AdditionalProperties.Boolean == false)
                {
                    sink?.Add(childLocation, "additionalProperties", "unknown property (the schema does not allow it)");
                    valid = false;
                }
                else if (!AdditionalProperties.Evaluate(property.Value, childLocation, sink, null, depth + 1))
                {
                    valid = false;
                }

                if (!valid && sink is null)
                {
                    return false;
                }
            }

            if (matched)
            {
                evaluated?.MarkProperty(property.Name);
            }

            if (PropertyNames is not null)
            {
                using var nameDocument = JsonDocument.Parse("\"" + JsonEncodedText.Encode(property.Name).Value + "\"");
                var nameSink = sink is null ? null : new ErrorSink();
                if (!PropertyNames.Evaluate(nameDocument.RootElement, childLocation, nameSink, null, depth + 1))
                {
                    var reason = nameSink is { Errors.Count: > 0 } ? ": " + nameSink.Errors[0].Message : "";
                    sink?.Add(childLocation, "propertyNames", $"the property name \"{property.Name}\" is not allowed{reason}");
                    valid = false;
                    if (sink is null)
                    {
                        return false;
                    }
                }
            }
        }

        if (Required is not null)
        {
            foreach (var name in Required)
            {
                if (!instance.TryGetProperty(name, out _))
                {
                    sink?.Add(location.Property(name), "required", "required property is missing");
                    valid = false;
                }
            }
        }

        if (DependentRequired is not null)
        {
            foreach (var (trigger, names) in DependentRequired)
            {
                if (!instance.TryGetProperty(trigger, out _))
                {
                    continue;
                }

                foreach (var name in names.Where(n => !instance.TryGetProperty(n, out _)))
                {
                    sink?.Add(location.Property(name), "dependentRequired", $"required property is missing (it is required when \"{trigger}\" is present)");
                    valid = false;
                }
            }
        }

        if (count < MinProperties)
        {
            sink?.Add(location, "minProperties", $"must have at least {MinProperties} propert{(MinProperties == 1 ? "y" : "ies")} (got {count})");
            valid = false;
        }

        if (count > MaxProperties)
        {
            sink?.Add(location, "maxProperties", $"must have at most {MaxProperties} propert{(MaxProperties == 1 ? "y" : "ies")} (got {count})");
            valid = false;
        }

        if (DependentSchemas is not null)
        {
            foreach (var (trigger, schema) in DependentSchemas)
            {
                if (instance.TryGetProperty(trigger, out _) && !EvaluateInPlace(schema, instance, location, sink, evaluated, depth))
                {
                    valid = false;
                    if (sink is null)
                    {
                        return false;
                    }
                }
            }
        }

        return valid;
    }

    private bool EvaluateArray(JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        var valid = true;
        var length = instance.GetArrayLength();
        var prefix = PrefixItems?.Length ?? 0;
        for (var i = 0; i < length; i++)
        {
            SchemaNode? schema = i < prefix ? PrefixItems![i] : Items;
            if (schema is null)
            {
                continue;
            }

            if (!schema.Evaluate(instance[i], location.Index(i), sink, null, depth + 1))
            {
                if (schema.Boolean == false)
                {
                    // Replace the bare "no value is allowed here" with the reason.
                    sink?.ReplaceLast(location.Index(i), "items", $"the array may have at most {prefix} item{(prefix == 1 ? "" : "s")}");
                }

                valid = false;
                if (sink is null)
                {
                    return false;
                }
            }
        }

        evaluated?.MarkItems(Items is not null ? length : Math.Min(prefix, length));

        if (Contains is not null)
        {
            var matches = 0;
            for (var i = 0; i < length; i++)
            {
                if (Contains.Evaluate(instance[i], location.Index(i), null, null, depth + 1))
                {
                    matches++;
                    evaluated?.MarkItem(i);
                }
            }

            var minimum = MinContains ?? 1;
            if (matches < minimum)
            {
                sink?.Add(location, "contains", $"must contain at least {minimum} item{(minimum == 1 ? "" : "s")} matching the \"contains\" schema (found {matches})");
                valid = false;
            }

            if (matches > MaxContains)
            {
                sink?.Add(location, "maxContains", $"must contain at most {MaxContains} item{(MaxContains == 1 ? "" : "s")} matching the \"contains\" schema (found {matches})");
                valid = false;
            }
        }

        if (length < MinItems)
        {
            sink?.Add(location, "minItems", $"must have at least {MinItems} item{(MinItems == 1 ? "" : "s")} (got {length})");
            valid = false;
        }

        if (length > MaxItems)
        {
            sink?.Add(location, "maxItems", $"must have at most {MaxItems} item{(MaxItems == 1 ? "" : "s")} (got {length})");
            valid = false;
        }

        if (UniqueItems)
        {
            for (var i = 1; i < length && valid; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (JsonElement.DeepEquals(instance[i], instance[j]))
                    {
                        sink?.Add(location, "uniqueItems", $"items must be unique (items {j} and {i} are equal)");
                        valid = false;
                        break;
                    }
                }
            }
        }

        return valid;
    }

    private bool EvaluateApplicators(JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        var valid = true;
        if (AllOf is not null)
        {
            foreach (var schema in AllOf)
            {
                if (!EvaluateInPlace(schema, instance, location, sink, evaluated, depth))
                {
                    valid = false;
                    if (sink is null)
                    {
                        return false;
                    }
                }
            }
        }

        if (AnyOf is not null)
        {
            var any = false;
            foreach (var schema in AnyOf)
            {
                // With annotation collection every branch must run: annotations of all passing branches count.
                if (EvaluateInPlace(schema, instance, location, null, evaluated, depth))
                {
                    any = true;
                    if (evaluated is null)
                    {
                        break;
                    }
                }
            }

            if (!any)
            {
                sink?.Add(location, "anyOf", $"does not match any of the {AnyOf.Length} allowed alternatives (anyOf){ClosestBranch(AnyOf, instance, location, depth)}");
                valid = false;
                if (sink is null)
                {
                    return false;
                }
            }
        }

        if (OneOf is not null)
        {
            var matches = new List<int>();
            for (var i = 0; i < OneOf.Length; i++)
            {
                var branchEvaluated = evaluated is null ? null : new Evaluated();
                if (EvaluateInPlace(OneOf[i], instance, location, null, branchEvaluated, depth))
                {
                    matches.Add(i);
                    if (matches.Count == 1 && branchEvaluated is not null)
                    {
                        evaluated!.Merge(branchEvaluated);
                    }
                }
            }

            if (matches.Count != 1)
            {
                var message = matches.Count == 0
                    ? $"does not match any of the {OneOf.Length} alternatives (oneOf){ClosestBranch(OneOf, instance, location, depth)}"
                    : $"matches {matches.Count} of the oneOf alternatives ({string.Join(" and ", matches.Select(m => "#" + (m + 1).ToString(CultureInfo.InvariantCulture)))}) but must match exactly one";
                sink?.Add(location, "oneOf", message);
                valid = false;
                if (sink is null)
                {
                    return false;
                }
            }
        }

        if (Not is not null && Not.Evaluate(instance, location, null, null, depth + 1))
        {
            sink?.Add(location, "not", "must not match the \"not\" schema");
            valid = false;
            if (sink is null)
            {
                return false;
            }
        }

        if (If is not null)
        {
            var ifEvaluated = evaluated is null ? null : new Evaluated();
            if (If.Evaluate(instance, location, null, ifEvaluated, depth + 1))
            {
                if (ifEvaluated is not null)
                {
                    evaluated!.Merge(ifEvaluated);
                }

                if (Then is not null && !EvaluateInPlace(Then, instance, location, sink, evaluated, depth))
                {
                    valid = false;
                }
            }
            else if (Else is not null && !EvaluateInPlace(Else, instance, location, sink, evaluated, depth))
            {
                valid = false;
            }
        }

        return valid;
    }

    private bool EvaluateUnevaluated(JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        var valid = true;
        if (UnevaluatedProperties is not null && instance.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in instance.EnumerateObject())
            {
                if (evaluated!.IsPropertyEvaluated(property.Name))
                {
                    continue;
                }

                var childLocation = location.Property(property.Name);
                if (UnevaluatedProperties.Boolean == false)
                {
                    sink?.Add(childLocation, "unevaluatedProperties", "unknown property (the schema does not allow it)");
                    valid = false;
                }
                else if (!UnevaluatedProperties.Evaluate(property.Value, childLocation, sink, null, depth + 1))
                {
                    valid = false;
                }

                if (!valid && sink is null)
                {
                    return false;
                }
            }

            evaluated!.MarkAllProperties();
        }

        if (UnevaluatedItems is not null && instance.ValueKind == JsonValueKind.Array)
        {
            var length = instance.GetArrayLength();
            for (var i = 0; i < length; i++)
            {
                if (evaluated!.IsItemEvaluated(i))
                {
                    continue;
                }

                if (!UnevaluatedItems.Evaluate(instance[i], location.Index(i), sink, null, depth + 1))
                {
                    valid = false;
                    if (sink is null)
                    {
                        return false;
                    }
                }
            }

            evaluated!.MarkItems(length);
        }

        return valid;
    }

    private static bool EvaluateInPlace(SchemaNode schema, JsonElement instance, InstanceLocation location, ErrorSink? sink, Evaluated? evaluated, int depth)
    {
        if (evaluated is null)
        {
            return schema.Evaluate(instance, location, sink, null, depth + 1);
        }

        // Annotations of a failing subschema are dropped, so collect into a scratch set and merge only on success.
        var scratch = new Evaluated();
        var valid = schema.Evaluate(instance, location, sink, scratch, depth + 1);
        if (valid)
        {
            evaluated.Merge(scratch);
        }

        return valid;
    }

    private static string ClosestBranch(SchemaNode[] branches, JsonElement instance, InstanceLocation location, int depth)
    {
        // Report the alternative that came closest, so "anyOf failed" still says what to fix.
        List<JsonSchemaError>? best = null;
        var bestIndex = 0;
        for (var i = 0; i < branches.Length; i++)
        {
            var sink = new ErrorSink();
            branches[i].Evaluate(instance, location, sink, null, depth + 1);
            if (best is null || sink.Errors.Count < best.Count)
            {
                best = sink.Errors;
                bestIndex = i;
            }
        }

        if (best is null || best.Count == 0)
        {
            return "";
        }

        var first = best[0];
        return $"; closest is alternative #{bestIndex + 1}: {first.Path}: {first.Message}";
    }

    private static bool SafeIsMatch(Regex regex, string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    internal static bool MatchesType(JsonElement instance, SchemaTypes types) => instance.ValueKind switch
    {
        JsonValueKind.Null => (types & SchemaTypes.Null) != 0,
        JsonValueKind.True or JsonValueKind.False => (types & SchemaTypes.Boolean) != 0,
        JsonValueKind.Object => (types & SchemaTypes.Object) != 0,
        JsonValueKind.Array => (types & SchemaTypes.Array) != 0,
        JsonValueKind.String => (types & SchemaTypes.String) != 0,
        JsonValueKind.Number => (types & SchemaTypes.Number) != 0 || ((types & SchemaTypes.Integer) != 0 && IsInteger(instance)),
        _ => false,
    };

    internal static bool IsInteger(JsonElement number)
    {
        if (number.TryGetDecimal(out var value))
        {
            return value == decimal.Truncate(value);
        }

        var d = number.GetDouble();
        return double.IsFinite(d) && Math.Floor(d) == d;
    }

    private static string DescribeTypes(SchemaTypes types)
    {
        var names = new List<string>();
        foreach (var (flag, name) in (ReadOnlySpan<(SchemaTypes, string)>)[
            (SchemaTypes.Object, "object"), (SchemaTypes.Array, "array"), (SchemaTypes.String, "string"),
            (SchemaTypes.Integer, "integer"), (SchemaTypes.Number, "number"), (SchemaTypes.Boolean, "boolean"), (SchemaTypes.Null, "null")])
        {
            if ((types & flag) != 0)
            {
                names.Add(name);
            }
        }

        return names.Count switch
        {
            1 => names[0],
            2 => names[0] + " or " + names[1],
            _ => string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1],
        };
    }

    private static int CompareNumbers(JsonElement left, JsonElement right)
        => left.TryGetDecimal(out var a) && right.TryGetDecimal(out var b) ? a.CompareTo(b) : left.GetDouble().CompareTo(right.GetDouble());

    private static bool IsMultipleOf(JsonElement value, JsonElement divisor)
    {
        if (value.TryGetDecimal(out var a) && divisor.TryGetDecimal(out var b))
        {
            try
            {
                return a % b == 0;
            }
            catch (OverflowException)
            {
                // Fall through to binary floating point.
            }
        }

        var quotient = value.GetDouble() / divisor.GetDouble();
        return double.IsFinite(quotient) && Math.Abs(quotient - Math.Round(quotient)) < 1e-9;
    }

    private static int CountCodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }
}

/// <summary>A lazily formatted instance location (JSON path and JSON Pointer are only built for errors).</summary>
internal sealed class InstanceLocation
{
    private readonly InstanceLocation? _parent;
    private readonly string? _name;
    private readonly int _index;

    private InstanceLocation(InstanceLocation? parent, string? name, int index)
    {
        _parent = parent;
        _name = name;
        _index = index;
    }

    public static InstanceLocation Root { get; } = new(null, null, -1);

    public InstanceLocation Property(string name) => new(this, name, -1);

    public InstanceLocation Index(int index) => new(this, null, index);

    public string ToPath() => _parent is null
        ? JsonPaths.Root
        : _name is not null ? JsonPaths.Property(_parent.ToPath(), _name) : JsonPaths.Index(_parent.ToPath(), _index);

    public string ToPointer() => _parent is null
        ? ""
        : _parent.ToPointer() + "/" + (_name is not null ? JsonPaths.PointerToken(_name) : _index.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Collects evaluation errors.</summary>
internal sealed class ErrorSink
{
    public List<JsonSchemaError> Errors { get; } = [];

    public void Add(InstanceLocation location, string keyword, string message)
        => Errors.Add(new JsonSchemaError(location.ToPath(), location.ToPointer(), keyword, message));

    public void ReplaceLast(InstanceLocation location, string keyword, string message)
    {
        if (Errors.Count > 0)
        {
            Errors.RemoveAt(Errors.Count - 1);
        }

        Add(location, keyword, message);
    }
}

/// <summary>The properties and items of one instance location that some subschema evaluated successfully.</summary>
internal sealed class Evaluated
{
    private HashSet<string>? _properties;
    private bool _allProperties;
    private int _itemPrefix;
    private HashSet<int>? _items;

    public void MarkProperty(string name) => (_properties ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    public void MarkAllProperties() => _allProperties = true;

    public void MarkItems(int prefix) => _itemPrefix = Math.Max(_itemPrefix, prefix);

    public void MarkItem(int index) => (_items ??= []).Add(index);

    public bool IsPropertyEvaluated(string name) => _allProperties || (_properties?.Contains(name) ?? false);

    public bool IsItemEvaluated(int index) => index < _itemPrefix || (_items?.Contains(index) ?? false);

    public void Merge(Evaluated other)
    {
        _allProperties |= other._allProperties;
        if (other._properties is not null)
        {
            (_properties ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(other._properties);
        }

        _itemPrefix = Math.Max(_itemPrefix, other._itemPrefix);
        if (other._items is not null)
        {
            (_items ??= []).UnionWith(other._items);
        }
    }
}
