using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// Semantic comparison of JSON-RPC responses. A response is reduced to its meaning — <c>jsonrpc</c>, <c>id</c>, and
/// either <c>result</c> or <c>error.code</c> — so error message wording and member order never matter; batches are
/// compared as multisets.
/// </summary>
internal static class JsonRpcAssert
{
    /// <summary>Asserts that <paramref name="actual"/> means the same as <paramref name="expectedJson"/> (a response or a batch of them).</summary>
    public static void Equivalent(string expectedJson, JsonElement actual)
    {
        using var expectedDocument = JsonDocument.Parse(expectedJson);
        var expected = expectedDocument.RootElement;
        if (expected.ValueKind == JsonValueKind.Array)
        {
            Assert.True(actual.ValueKind == JsonValueKind.Array, $"Expected a batch response (an array), got {actual.GetRawText()}");
            var remaining = actual.EnumerateArray().Select(r => Canonical(r, checkShape: true)).ToList();
            Assert.True(remaining.Count > 0, "A batch response must not be an empty array.");
            foreach (var item in expected.EnumerateArray().Select(e => Canonical(e, checkShape: false)))
            {
                var index = remaining.FindIndex(candidate => JsonNode.DeepEquals(candidate, item));
                Assert.True(index >= 0, $"Expected a response equivalent to {item.ToJsonString()} in {actual.GetRawText()}");
                remaining.RemoveAt(index);
            }

            Assert.True(remaining.Count == 0, $"Unexpected extra responses: {string.Join(", ", remaining.Select(r => r.ToJsonString()))}");
            return;
        }

        Assert.True(actual.ValueKind == JsonValueKind.Object, $"Expected a single response object, got {actual.GetRawText()}");
        var want = Canonical(expected, checkShape: false);
        var got = Canonical(actual, checkShape: true);
        Assert.True(JsonNode.DeepEquals(want, got), $"Expected {want.ToJsonString()}, got {actual.GetRawText()}");
    }

    /// <summary>Asserts a success response with the given id and result (both as JSON text).</summary>
    public static void Result(JsonElement actual, string idJson, string resultJson)
        => Equivalent($$"""{"jsonrpc":"2.0","id":{{idJson}},"result":{{resultJson}}}""", actual);

    /// <summary>Asserts an error response with the given id (JSON text) and code; returns its <c>error</c> object.</summary>
    public static JsonElement Error(JsonElement actual, string idJson, int code)
    {
        Equivalent($$$"""{"jsonrpc":"2.0","id":{{{idJson}}},"error":{"code":{{{code}}}}}""", actual);
        return actual.GetProperty("error");
    }

    /// <summary>
    /// Reduces a response to what the specification fixes. Also checks the shape every response must have: exactly one
    /// of result and error, an error with an integer code, a string message and (Plugboard's rule) a data object.
    /// </summary>
    private static JsonNode Canonical(JsonElement response, bool checkShape)
    {
        if (response.ValueKind != JsonValueKind.Object)
        {
            throw new XunitException($"A response must be a JSON object, got {response.GetRawText()}");
        }

        var node = new JsonObject
        {
            ["jsonrpc"] = response.TryGetProperty("jsonrpc", out var version) ? JsonNode.Parse(version.GetRawText()) : null,
            ["id"] = response.TryGetProperty("id", out var id) ? JsonNode.Parse(id.GetRawText()) : "(missing id)",
        };
        var hasResult = response.TryGetProperty("result", out var result);
        var hasError = response.TryGetProperty("error", out var error);
        if (hasResult == hasError)
        {
            throw new XunitException($"A response must have exactly one of \"result\" and \"error\": {response.GetRawText()}");
        }

        if (hasResult)
        {
            node["result"] = JsonNode.Parse(result.GetRawText());
            return node;
        }

        if (error.ValueKind != JsonValueKind.Object || !error.TryGetProperty("code", out var code) || !code.TryGetInt32(out var number))
        {
            throw new XunitException($"An error must be an object with an integer \"code\": {response.GetRawText()}");
        }

        node["error"] = new JsonObject { ["code"] = number };
        if (!checkShape)
        {
            return node;
        }

        if (!error.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String)
        {
            throw new XunitException($"An error must have a string \"message\": {response.GetRawText()}");
        }

        // The specification makes data optional; Plugboard always sends a data object.
        if (!error.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new XunitException($"Plugboard errors carry a data object: {response.GetRawText()}");
        }

        return node;
    }
}
