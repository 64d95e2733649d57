using System.Diagnostics;
using Plugboard.Sdk.Tests.Infrastructure;

namespace Plugboard.Sdk.Tests;

/// <summary>Timing-sensitive exits run alone, after the parallel tests, so a loaded machine does not skew them.</summary>
[CollectionDefinition(nameof(ProcessExitCollection), DisableParallelization = true)]
public sealed class ProcessExitCollection;

/// <summary>
/// Plugins leave by themselves within 2 s when their runtime dies, in every language: on end of stdin, and when the
/// process named by PLUGBOARD_RUNTIME_PID disappears while stdin stays open.
/// </summary>
[Collection(nameof(ProcessExitCollection))]
public sealed class ProcessExitTests
{
    /// <summary>The requirement (2 s) plus a small margin for process teardown on a busy machine.</summary>
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(2.5);

    [Theory]
    [MemberData(nameof(SamplePlugin.All), MemberType = typeof(SamplePlugin))]
    public async Task StdinClosed_AfterHandshake_ExitsWithinTwoSeconds(string sample)
    {
        await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.ByName(sample));

        var clock = Stopwatch.StartNew();
        plugin.CloseStdin();
        var exited = await plugin.WaitForExitAsync(PluginProcess.Generous);
        clock.Stop();

        Assert.True(exited, $"{sample} did not exit after its stdin closed");
        Assert.True(clock.Elapsed <= ExitLimit, $"{sample} took {clock.Elapsed.TotalMilliseconds:F0} ms to exit after its stdin closed");
        Assert.Equal(0, plugin.Process.ExitCode);
    }

    [Theory]
    [MemberData(nameof(SamplePlugin.All), MemberType = typeof(SamplePlugin))]
    public async Task RuntimeProcessGone_StdinStillOpen_ExitsWithinTwoSeconds(string sample)
    {
        using var fakeRuntime = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            await using var plugin = await PluginProcess.StartInitializedAsync(SamplePlugin.ByName(sample), new Dictionary<string, string?>
            {
                ["PLUGBOARD_RUNTIME_PID"] = fakeRuntime.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

            var clock = Stopwatch.StartNew();
            fakeRuntime.Kill();
            var exited = await plugin.WaitForExitAsync(PluginProcess.Generous);
            clock.Stop();

            Assert.True(exited, $"{sample} did not exit after its runtime process {fakeRuntime.Id} was killed");
            Assert.True(clock.Elapsed <= ExitLimit, $"{sample} took {clock.Elapsed.TotalMilliseconds:F0} ms to exit after its runtime process was killed");
        }
        finally
        {
            if (!fakeRuntime.HasExited)
            {
                fakeRuntime.Kill();
            }
        }
    }
}
