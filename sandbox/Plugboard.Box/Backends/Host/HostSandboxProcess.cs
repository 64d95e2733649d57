using System.Diagnostics;

namespace Plugboard.Box.Backends.Host;

/// <summary>A jailed process started by the Box, with its stdio on pipes.</summary>
internal sealed class HostSandboxProcess(Process process) : ISandboxProcess
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _disposed;

    public Process Process => process;

    /// <summary>Jails run each process in a pid namespace of its own; there is nothing to protect from sweeps.</summary>
    public int? SandboxPid => null;

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await process.StandardInput.BaseStream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void CloseStdin()
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    public Task PumpOutputAsync(Func<ReadOnlyMemory<byte>, ValueTask> stdout, Func<ReadOnlyMemory<byte>, ValueTask> stderr, CancellationToken cancellationToken)
        => Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, stdout, cancellationToken),
            PumpAsync(process.StandardError.BaseStream, stderr, cancellationToken));

    public async Task<int?> GetExitCodeAsync(CancellationToken cancellationToken)
    {
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        // The jail's monitor has no graceful signal forwarding: end of input first (stdio servers exit on it), then kill.
        CloseStdin();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Kills the jail and, through its pid namespace and die-with-parent, everything in it.</summary>
    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already exited.
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (!process.HasExited)
            {
                Kill();
            }

            process.Dispose();
            _writeLock.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    internal static async Task PumpAsync(Stream source, Func<ReadOnlyMemory<byte>, ValueTask> sink, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                await sink(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe closed under us (the process was killed).
        }
    }
}
