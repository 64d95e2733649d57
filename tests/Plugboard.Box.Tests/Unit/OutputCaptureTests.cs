using System.Text;
using Plugboard.Box.Execution;

namespace Plugboard.Box.Tests.Unit;

public sealed class OutputCaptureTests
{
    [Fact]
    public void Render_WithinLimit_ReturnsEverything()
    {
        var capture = new OutputCapture(100);
        capture.Append("hello "u8);
        capture.Append("world"u8);
        Assert.False(capture.Truncated);
        Assert.Equal("hello world", capture.Render());
        Assert.Equal(11, capture.TotalBytes);
    }

    [Fact]
    public void Render_OverLimit_KeepsHeadAndTailAroundAMarker()
    {
        var capture = new OutputCapture(100);
        for (var i = 0; i < 1000; i++)
        {
            capture.Append(Encoding.ASCII.GetBytes($"{i % 10}"));
        }

        Assert.True(capture.Truncated);
        Assert.Equal(1000, capture.TotalBytes);
        var text = capture.Render();
        Assert.StartsWith("0123456789", text, StringComparison.Ordinal);
        Assert.EndsWith("0123456789", text, StringComparison.Ordinal);
        Assert.Contains("[... 900 bytes truncated; 1000 bytes in total ...]", text, StringComparison.Ordinal);
        Assert.Equal(100, capture.ToArray().Length);
    }

    [Fact]
    public void Render_CutInsideMultiByteCharacters_NeverEmitsHalfACharacter()
    {
        var capture = new OutputCapture(11);
        capture.Append(Encoding.UTF8.GetBytes(new string('é', 100)));
        var text = capture.Render();
        Assert.DoesNotContain('\uFFFD', text);
        Assert.StartsWith("ééé", text, StringComparison.Ordinal);
        Assert.EndsWith("éé", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Append_HugeChunk_KeepsOnlyTheBudget()
    {
        var capture = new OutputCapture(1000);
        capture.Append(new byte[10_000_000]);
        Assert.Equal(1000, capture.ToArray().Length);
        Assert.Equal(10_000_000, capture.TotalBytes);
    }
}
