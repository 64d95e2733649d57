using System.Text.Json;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

public sealed class JsonSchemaValidatorTests
{
    private const string ForecastSchema = """
        {
          "type": "object",
          "properties": {
            "city": { "type": "string", "minLength": 2 },
            "days": { "type": "integer", "minimum": 1, "maximum": 14 },
            "units": { "enum": ["metric", "imperial"] },
            "stops": { "type": "array", "items": { "$ref": "#/$defs/stop" } }
          },
          "required": ["city"],
          "additionalProperties": false,
          "$defs": {
            "stop": { "type": "object", "properties": { "name": { "type": "string" }, "minutes": { "type": "number", "exclusiveMinimum": 0 } }, "required": ["name"] }
          }
        }
        """;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Validate_ValidArguments_ReturnsNoErrors()
    {
        var validator = JsonSchemaValidator.Create(ForecastSchema);

        Assert.Empty(validator.Validate(Json("""{"city": "Berlin", "days": 3, "units": "metric", "stops": [{"name": "a", "minutes": 2.5}]}""")));
        Assert.True(validator.IsValid(Json("""{"city": "Berlin"}""")));
    }

    [Fact]
    public void Validate_BadArguments_ReportsEveryErrorWithInstancePath()
    {
        var validator = JsonSchemaValidator.Create(ForecastSchema);

        var errors = validator.Validate(Json("""{"days": "3", "units": "kelvin", "extra": 1, "stops": [{"name": "a"}, {"minutes": 0}]}"""));

        Assert.Contains(errors, e => e is { Path: "$.city", Pointer: "/city", Keyword: "required", Message: "required property is missing" });
        Assert.Contains(errors, e => e is { Path: "$.days", Keyword: "type", Message: "expected integer (got string)" });
        Assert.Contains(errors, e => e.Path == "$.units" && e.Keyword == "enum" && e.Message.StartsWith("expected one of \"metric\", \"imperial\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e is { Path: "$.extra", Keyword: "additionalProperties" });
        Assert.Contains(errors, e => e is { Path: "$.stops[1].name", Pointer: "/stops/1/name", Keyword: "required" });
        Assert.Contains(errors, e => e is { Path: "$.stops[1].minutes", Keyword: "exclusiveMinimum" });
        Assert.False(validator.IsValid(Json("""{"days": "3"}""")));
    }

    [Fact]
    public void Validate_AnyOfFailure_NamesTheClosestAlternative()
    {
        var validator = JsonSchemaValidator.Create("""{"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]}""");

        var error = Assert.Single(validator.Validate(Json("\"toolong\"")));

        Assert.Equal("anyOf", error.Keyword);
        Assert.Contains("closest is alternative #1", error.Message, StringComparison.Ordinal);
        Assert.Contains("at most 3 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RecursiveRef_ValidatesTrees()
    {
        var validator = JsonSchemaValidator.Create("""
            {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["value"]}}}
            """);

        var errors = validator.Validate(Json("""{"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}"""));

        Assert.Equal("$.children[0].children[0].value", Assert.Single(errors).Path);
    }

    [Fact]
    public void Validate_UnevaluatedProperties_SeesPropertiesOfAllOfBranches()
    {
        var validator = JsonSchemaValidator.Create("""
            {"allOf": [{"properties": {"a": {"type": "string"}}}], "properties": {"b": {"type": "string"}}, "unevaluatedProperties": false}
            """);

        Assert.True(validator.IsValid(Json("""{"a": "x", "b": "y"}""")));
        Assert.Equal("$.c", Assert.Single(validator.Validate(Json("""{"a": "x", "c": 1}"""))).Path);
    }

    [Fact]
    public void Validate_NumbersAndStrings_FollowJsonSchemaSemantics()
    {
        Assert.True(JsonSchemaValidator.Create("""{"type": "integer"}""").IsValid(Json("1.0")));
        Assert.True(JsonSchemaValidator.Create("""{"multipleOf": 0.1}""").IsValid(Json("0.3")));

        // Decimal arithmetic: 19.99 is a multiple of 0.01 (binary floating point, as in Python jsonschema, says no).
        Assert.True(JsonSchemaValidator.Create("""{"multipleOf": 0.01}""").IsValid(Json("19.99")));
        Assert.False(JsonSchemaValidator.Create("""{"multipleOf": 0.1}""").IsValid(Json("0.35")));
        Assert.True(JsonSchemaValidator.Create("""{"maxLength": 2}""").IsValid(Json("\"😀😀\"")));
        Assert.True(JsonSchemaValidator.Create("""{"const": 1}""").IsValid(Json("1.0")));
        Assert.False(JsonSchemaValidator.Create("""{"uniqueItems": true}""").IsValid(Json("[1, {\"a\": 2}, {\"a\": 2}]")));
        Assert.True(JsonSchemaValidator.Create("""{"pattern": "^[a-z]+$"}""").IsValid(Json("42")));
    }

    [Fact]
    public void Validate_Draft07Spellings_AreUnderstood()
    {
        var validator = JsonSchemaValidator.Create("""
            {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"n": {"type": "number"}},
             "type": "array", "items": [{"$ref": "#/definitions/n"}, {"type": "string"}], "additionalItems": false}
            """);

        Assert.True(validator.IsValid(Json("[1, \"a\"]")));
        var error = Assert.Single(validator.Validate(Json("[1, \"a\", true]")));
        Assert.Equal("$[2]", error.Path);
        Assert.Contains("at most 2 items", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AnchorAndEmbeddedId_Resolve()
    {
        var validator = JsonSchemaValidator.Create("""
            {"$id": "https://example.com/root.json", "properties": {"a": {"$ref": "#pos"}, "b": {"$ref": "item.json"}},
             "$defs": {"p": {"$anchor": "pos", "minimum": 0}, "i": {"$id": "item.json", "type": "string"}}}
            """);

        Assert.True(validator.IsValid(Json("""{"a": 1, "b": "x"}""")));
        Assert.Equal(["$.a", "$.b"], validator.Validate(Json("""{"a": -1, "b": 2}""")).Select(e => e.Path));
    }

    [Fact]
    public void Validate_CatastrophicPattern_DoesNotHang()
    {
        var validator = JsonSchemaValidator.Create("""{"pattern": "^(a+)+$"}""");

        Assert.False(validator.IsValid(Json("\"" + new string('a', 5000) + "!\"")));
    }

    public static TheoryData<string, string, string> InvalidSchemas => new()
    {
        { """{"type": "strin"}""", "$.type", "\"strin\" is not a JSON Schema type" },
        { """{"type": "object", "properties": {"a": {"minLength": -1}}}""", "$.properties.a.minLength", "expected a non-negative integer (got -1)" },
        { """{"pattern": "(unclosed"}""", "$.pattern", "is not a valid regular expression" },
        { """{"required": ["a", "a"]}""", "$.required[1]", "listed twice" },
        { """{"$ref": "#/$defs/none"}""", "$.$ref", "cannot resolve" },
        { """{"$ref": "other.json#/x"}""", "$.$ref", "only references inside this schema" },
        { """{"anyOf": []}""", "$.anyOf", "non-empty array" },
        { """{"properties": {"a": 5}}""", "$.properties.a", "expected a JSON Schema object or true/false (got number)" },
        { """{"$schema": "https://example.com/my-dialect"}""", "$.$schema", "unsupported dialect" },
        { "\"string\"", "$", "expected a JSON Schema object or true/false (got string)" },
    };

    [Theory]
    [MemberData(nameof(InvalidSchemas))]
    public void Create_InvalidSchema_ThrowsWithSchemaPath(string schema, string path, string message)
    {
        var ex = Assert.Throws<InvalidJsonSchemaException>(() => JsonSchemaValidator.Create(schema));

        Assert.Contains(ex.Errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.False(JsonSchemaValidator.TryCreate(Json(schema), out var validator, out var errors));
        Assert.Null(validator);
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Validate_AgreesWithReferenceImplementation()
    {
        // Each case: schema, instance. Our verdict must match Python jsonschema's Draft 2020-12 validator.
        (string Schema, string Instance)[] cases =
        [
            ("""{"type": "integer"}""", "1"), ("""{"type": "integer"}""", "1.5"), ("""{"type": "integer"}""", "1.0"),
            ("""{"type": ["string", "null"]}""", "null"), ("""{"type": ["string", "null"]}""", "0"),
            ("""{"minimum": 1.5}""", "1.5"), ("""{"exclusiveMinimum": 1.5}""", "1.5"), ("""{"maximum": 3}""", "\"x\""),
            ("""{"multipleOf": 2.5}""", "7.5"), ("""{"multipleOf": 3}""", "10"),
            ("""{"minLength": 2}""", "\"é\""), ("""{"maxLength": 1}""", "\"😀\""), ("""{"pattern": "a+b"}""", "\"xaab\""),
            ("""{"enum": [1, "a", null, {"x": [1]}]}""", """{"x": [1.0]}"""), ("""{"enum": [1, "a"]}""", "\"b\""),
            ("""{"const": {"a": 1, "b": 2}}""", """{"b": 2, "a": 1}"""),
            ("""{"required": ["a"], "properties": {"a": false}}""", """{"a": 1}"""),
            ("""{"additionalProperties": {"type": "number"}, "properties": {"s": {"type": "string"}}}""", """{"s": "x", "n": 1, "m": "no"}"""),
            ("""{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}""", """{"x-a": "1"}"""),
            ("""{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}""", """{"y": "1"}"""),
            ("""{"propertyNames": {"maxLength": 3}}""", """{"abcd": 1}"""), ("""{"minProperties": 2}""", """{"a": 1}"""),
            ("""{"dependentRequired": {"a": ["b"]}}""", """{"a": 1}"""), ("""{"dependentSchemas": {"a": {"required": ["c"]}}}""", """{"a": 1, "c": 2}"""),
            ("""{"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}""", "[1, \"a\", \"b\"]"),
            ("""{"prefixItems": [{"type": "integer"}], "items": false}""", "[1, 2]"),
            ("""{"contains": {"type": "integer"}, "minContains": 2}""", "[1, \"a\", 2]"), ("""{"contains": {"type": "integer"}, "maxContains": 1}""", "[1, 2]"),
            ("""{"uniqueItems": true}""", "[1, 1.0]"), ("""{"minItems": 1}""", "[]"),
            ("""{"allOf": [{"minimum": 1}, {"maximum": 2}]}""", "3"), ("""{"oneOf": [{"type": "integer"}, {"minimum": 0}]}""", "1"),
            ("""{"oneOf": [{"type": "integer"}, {"minimum": 0}]}""", "1.5"), ("""{"not": {"type": "null"}}""", "null"),
            ("""{"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}}""", """{"k": "a", "y": 1}"""),
            ("""{"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}}""", """{"k": "b", "y": 1}"""),
            ("""{"prefixItems": [{"type": "integer"}], "unevaluatedItems": false}""", "[1, 2]"),
            ("""{"anyOf": [{"properties": {"a": true}}, {"properties": {"b": true}}], "unevaluatedProperties": false}""", """{"a": 1, "b": 2}"""),
            ("""{"oneOf": [{"properties": {"a": true}, "required": ["a"]}, {"properties": {"b": true}, "required": ["b"]}], "unevaluatedProperties": false}""", """{"a": 1, "c": 2}"""),
            ("""{"$defs": {"pos": {"minimum": 0}}, "items": {"$ref": "#/$defs/pos"}}""", "[1, -1]"),
            ("""{"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}, "minLength": 3}""", "\"ab\""),
            (PluginManifestSchema.Text, Manifests.Full), (PluginManifestSchema.Text, Manifests.Mutate(Manifests.Minimal, m => m["version"] = "1.0.0-01")),
        ];

        var reference = ReferenceJsonSchema.Evaluate(cases);

        for (var i = 0; i < cases.Length; i++)
        {
            var ours = JsonSchemaValidator.Create(cases[i].Schema).IsValid(Json(cases[i].Instance));
            Assert.True(ours == reference[i], $"Case {i}: we say {ours}, the reference says {reference[i]} for schema {cases[i].Schema} and instance {cases[i].Instance}");
        }
    }
}
