using System.Diagnostics;
using System.Reflection;

namespace Plugboard.Benchmarks;

/// <summary>A child process spoken to over its stdin/stdout; its stderr is copied to ours with a prefix.</summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _name;

    private PeerProcess(Process process, string name)
    {
        _process = process;
        _name = name;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.Error.WriteLine($"[{_name}] {line}");
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>The child's stdout (what we read).</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>The child's stdin (what we write).</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>The child's stdout as text (for a READY line).</summary>
    public StreamReader OutputText => _process.StandardOutput;

    /// <summary>Starts this benchmark program again in one of its peer modes.</summary>
    public static PeerProcess StartSelf(string mode)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the path of this program to start its peer.");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Run as `dotnet Plugboard.Benchmarks.dll`: start the peer the same way.
            arguments.Add(Assembly.GetExecutingAssembly().Location);
        }

        arguments.Add(mode);
        return Start(self, arguments, workingDirectory: null, mode);
    }

    /// <summary>Starts a program with redirected stdio.</summary>
    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory, string name)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        return new PeerProcess(process, name);
    }

    /// <summary>Waits for the process to exit, at most <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Closes the child's stdin, gives it 5 s to exit, then kills it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Already closed (the connection over it was disposed) or the child is gone.
        }

        if (!await WaitForExitAsync(TimeSpan.FromSeconds(5)))
        {
            Console.Error.WriteLine($"[{_name}] did not exit within 5 s of its stdin closing; killing it.");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
