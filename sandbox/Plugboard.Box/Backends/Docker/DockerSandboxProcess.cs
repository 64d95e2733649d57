using System.Globalization;
using System.Text;
using Plugboard.Box.Docker;

namespace Plugboard.Box.Backends.Docker;

/// <summary>
/// A managed process as an exec with stdin over a hijacked connection. A tiny wrapper prints the process's pid
/// (inside the container) on stderr before it <c>exec</c>s the command, so the Box can stop its tree later and
/// protect it from timeout sweeps; the Box strips that line.
/// </summary>
internal sealed class DockerSandboxProcess(DockerBackend backend, DockerSandbox sandbox, string execId, HijackedStream stream) : ISandboxProcess
{
    /// <summary>The wrapper: <c>sh -c Wrapper plugboard-process argv...</c>.</summary>
    public const string Wrapper = "echo \"PLUGBOARD_PID=$$\" >&2; exec \"$@\"";

    private const string Marker = "PLUGBOARD_PID=";
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<int?> _pid = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public int? SandboxPid => _pid.Task.IsCompletedSuccessfully ? _pid.Task.Result : null;

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void CloseStdin() => stream.CloseStdin();

    public async Task PumpOutputAsync(Func<ReadOnlyMemory<byte>, ValueTask> stdout, Func<ReadOnlyMemory<byte>, ValueTask> stderr, CancellationToken cancellationToken)
    {
        var prefix = new List<byte>();
        var prefixDone = false;
        try
        {
            await DockerStreamDemultiplexer.RunAsync(stream, async (type, data) =>
            {
                if (type != DockerStreamType.Stderr)
                {
                    await stdout(data).ConfigureAwait(false);
                    return;
                }

                if (prefixDone)
                {
                    await stderr(data).ConfigureAwait(false);
                    return;
                }

                // The first stderr line is the wrapper's pid line.
                var span = data.Span;
                var newline = span.IndexOf((byte)'\n');
                prefix.AddRange((newline < 0 ? span : span[..newline]).ToArray());
                if (newline < 0 && prefix.Count < 64)
                {
                    return;
                }

                prefixDone = true;
                var line = Encoding.ASCII.GetString(prefix.ToArray());
                if (line.StartsWith(Marker, StringComparison.Ordinal) && int.TryParse(line.AsSpan(Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    _pid.TrySetResult(pid);
                }
                else
                {
                    _pid.TrySetResult(null);
                    await stderr(prefix.ToArray()).ConfigureAwait(false);
                }

                if (newline >= 0 && newline + 1 < data.Length)
                {
                    await stderr(data[(newline + 1)..]).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The connection ended with the container.
        }
        finally
        {
            _pid.TrySetResult(null);
        }
    }

    public Task<int?> GetExitCodeAsync(CancellationToken cancellationToken) => backend.ReadExitCodeAsync(execId, cancellationToken);

    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var pid = await _pid.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        if (pid is not { } root)
        {
            // Without its pid only closing stdin is left (most stdio servers exit on end of input).
            CloseStdin();
            return;
        }

        await backend.RunKillScriptAsync(sandbox, "tree", "TERM", [root], headroom: false).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline)
        {
            var inspect = await backend.Client.InspectExecAsync(execId, cancellationToken).ConfigureAwait(false);
            if (inspect is null || !inspect.Running)
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await backend.RunKillScriptAsync(sandbox, "tree", "KILL", [root], headroom: true).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            stream.Dispose();
            _writeLock.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
