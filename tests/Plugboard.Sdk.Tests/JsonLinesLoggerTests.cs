using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Plugboard.Sdk.Logging;

namespace Plugboard.Sdk.Tests;

/// <summary>The stderr log format the runtime parses: one JSON object per line.</summary>
public sealed class JsonLinesLoggerTests
{
    [Fact]
    public void Log_WithScopesAndAnException_WritesOneJsonLineWithEveryField()
    {
        using var output = new MemoryStream();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new JsonLinesLoggerProvider(output)));
        var logger = factory.CreateLogger("Acme.Weather");

        using (logger.BeginScope(new Dictionary<string, object?> { ["city"] = "Oslo" }))
        using (logger.BeginScope("request 42"))
        {
            logger.LogError(new InvalidOperationException("boom"), "Forecast for {City} failed\nsecond line", "Oslo");
        }

        var text = Encoding.UTF8.GetString(output.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var entry = JsonDocument.Parse(line);
        var root = entry.RootElement;
        Assert.Equal("Error", root.GetProperty("level").GetString());
        Assert.Equal("Acme.Weather", root.GetProperty("category").GetString());
        Assert.Equal("Forecast for Oslo failed\nsecond line", root.GetProperty("message").GetString());
        Assert.Contains("InvalidOperationException: boom", root.GetProperty("exception").GetString(), StringComparison.Ordinal);
        var scopes = root.GetProperty("scope");
        Assert.Equal("Oslo", scopes[0].GetProperty("city").GetString());
        Assert.Equal("request 42", scopes[1].GetString());
    }

    [Theory]
    [InlineData(LogLevel.Trace, "Trace")]
    [InlineData(LogLevel.Debug, "Debug")]
    [InlineData(LogLevel.Information, "Information")]
    [InlineData(LogLevel.Warning, "Warning")]
    [InlineData(LogLevel.Critical, "Critical")]
    public void Log_AtEachLevel_WritesTheMicrosoftExtensionsLoggingLevelName(LogLevel level, string expected)
    {
        using var output = new MemoryStream();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new JsonLinesLoggerProvider(output)).SetMinimumLevel(LogLevel.Trace));

        factory.CreateLogger("c").Log(level, "m");

        using var entry = JsonDocument.Parse(output.ToArray());
        Assert.Equal(expected, entry.RootElement.GetProperty("level").GetString());
        Assert.False(entry.RootElement.TryGetProperty("scope", out _));
    }
}
