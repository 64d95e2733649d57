using System.Text.Json.Nodes;
using Plugboard.Runtime.Plugins;

namespace Plugboard.Runtime.Tests.Plugins;

public sealed class ConfigValidatorTests
{
    private static readonly IReadOnlyList<ConfigField> Fields = ManifestLoader.Parse(Manifests.Full).Config;

    [Fact]
    public void Validate_ValidValues_AppliesDefaults()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": "k-123", "days": 5}"""));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("k-123", (string?)result.Values["apiKey"]);
        Assert.Equal(5, (long)result.Values["days"]!);
        Assert.Equal("metric", (string?)result.Values["units"]);
        Assert.False((bool)result.Values["verbose"]!);
        Assert.Equal(["Berlin"], result.Values["cities"]!.AsArray().Select(n => (string?)n));
        Assert.Empty(result.UnknownKeys);
    }

    [Fact]
    public void Validate_MissingRequiredSecret_ReportsPathAndWhatToDo()
    {
        var result = ConfigValidator.Validate(Fields, null);

        var error = Assert.Single(result.Errors);
        Assert.Equal("$.apiKey", error.Path);
        Assert.Contains("add \"apiKey\" to the configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyStringForRequiredField_CountsAsMissing()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": ""}"""));

        Assert.Equal("$.apiKey", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Validate_WrongTypes_ReportsEveryFieldWithItsPath()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""
            {"apiKey": 12345, "units": "kelvin", "days": 2.5, "verbose": "maybe", "cities": ["Oslo", 3]}
            """));

        Assert.Equal(
            ["$.apiKey", "$.cities[1]", "$.days", "$.units", "$.verbose"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "$.units" && e.Message == "expected one of \"metric\", \"imperial\" (got string \"kelvin\")");
        Assert.Contains(result.Errors, e => e.Path == "$.apiKey" && e.Message == "expected a string (got number)");
    }

    [Fact]
    public void Validate_SecretOfWrongType_DoesNotEchoTheValue()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": ["sk-live-very-secret"]}"""));

        Assert.DoesNotContain("sk-live", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StringsForIntAndBool_AreConvertedWhenExact()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": "k", "days": "7", "verbose": "true"}"""));

        Assert.True(result.IsValid);
        Assert.Equal(7, (long)result.Values["days"]!);
        Assert.True((bool)result.Values["verbose"]!);
        Assert.False(ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": "k", "days": "7 days"}""")).IsValid);
    }

    [Fact]
    public void Validate_UnknownKeys_AreReportedAndLeftOut()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("""{"apiKey": "k", "apikey": "typo", "legacy": 1}"""));

        Assert.True(result.IsValid);
        Assert.Equal(["apikey", "legacy"], result.UnknownKeys);
        Assert.False(result.Values.ContainsKey("legacy"));
    }

    [Fact]
    public void Validate_NotAnObject_ReportsRoot()
    {
        var result = ConfigValidator.Validate(Fields, JsonNode.Parse("[1]"));

        Assert.Contains(result.Errors, e => e.Path == "$" && e.Message.Contains("expected a JSON object", StringComparison.Ordinal));
    }

    [Fact]
    public void Redact_Secrets_AreReplacedAndOtherValuesKept()
    {
        var values = JsonNode.Parse("""{"apiKey": "sk-live-123", "units": "metric", "days": 3, "unknownToken": "abc", "greeting": null}""");

        var redacted = ConfigValidator.Redact(Fields, values);

        Assert.Equal("***", (string?)redacted["apiKey"]);
        Assert.Equal("***", (string?)redacted["unknownToken"]);
        Assert.Equal("metric", (string?)redacted["units"]);
        Assert.Equal(3, (int)redacted["days"]!);
        Assert.Null(redacted["greeting"]);
        Assert.DoesNotContain("sk-live", redacted.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("sk-live-123", (string?)values!["apiKey"]);
    }

    [Fact]
    public void Redact_AdapterSecrets_UseTheAdapterFields()
    {
        var adapter = ManifestLoader.Parse(Manifests.Full).Components.Adapters[0];

        var redacted = ConfigValidator.Redact(adapter.Config, JsonNode.Parse("""{"appId": "42", "appSecret": "s"}"""));

        Assert.Equal("""{"appId":"42","appSecret":"***"}""", redacted.ToJsonString());
    }
}
