using System.Diagnostics;

namespace Plugboard.Runtime.Tests.Supervision;

/// <summary>Plugins must not outlive their runtime: a real host process is killed and its plugins (Python and the C# SDK sample) must exit within 2 s.</summary>
public sealed class RuntimeDeathTests : IAsyncLifetime
{
    private readonly PluginFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task RuntimeKilled_PluginsExitWithinTwoSeconds()
    {
        _fixture.AddPythonPlugin("test.orphan1");
        _fixture.AddPythonPlugin("test.orphan2");
        CopyDirectory(SamplePluginTests.EchoSampleDirectory, Path.Combine(_fixture.PluginsDirectory, "csharp-echo"));
        var hostDll = Path.Combine(AppContext.BaseDirectory, "Plugboard.Runtime.TestHost.dll");
        Assert.True(File.Exists(hostDll), $"Test host not built at {hostDll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add(_fixture.PluginsDirectory);
        start.ArgumentList.Add(Path.Combine(_fixture.Root, "data"));
        using var host = Process.Start(start)!;
        _ = host.StandardError.ReadToEndAsync();
        int[] pids;
        try
        {
            var line = await ReadReadyLineAsync(host).WaitAsync(TimeSpan.FromSeconds(90));
            pids = [.. line["READY ".Length..].Split(',').Select(int.Parse)];
            Assert.Equal(3, pids.Length);
            Assert.All(pids, pid => Assert.True(PlugboardRuntimeTests.ProcessExists(pid)));
        }
        finally
        {
            host.Kill();
        }

        await host.WaitForExitAsync();
        var killedAt = Stopwatch.StartNew();
        while (pids.Any(PlugboardRuntimeTests.ProcessExists) && killedAt.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        var survivors = pids.Where(PlugboardRuntimeTests.ProcessExists).ToList();
        foreach (var pid in survivors)
        {
            Process.GetProcessById(pid).Kill();
        }

        Assert.Empty(survivors);
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(2.5), $"Plugins took {killedAt.Elapsed.TotalSeconds:0.00} s to exit after the runtime died (requirement: 2 s).");
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }

    private static async Task<string> ReadReadyLineAsync(Process host)
    {
        while (await host.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("READY ", StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException("The test host exited before reporting READY.");
    }
}
