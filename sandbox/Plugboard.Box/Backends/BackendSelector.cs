using Microsoft.Extensions.Logging;
using Plugboard.Box.Contracts;

namespace Plugboard.Box.Backends;

/// <summary>
/// Chooses the backend new sessions use: the configured one, or with <c>auto</c> the first available of Docker,
/// bubblewrap and nsjail. <see cref="RefreshAsync"/> (run by the reaper) re-probes them all and re-chooses when the
/// current one has become unavailable; a working backend is kept even when a preferred one comes back, so sessions
/// do not flap between backends.
/// </summary>
internal sealed class BackendSelector : IAsyncDisposable
{
    private readonly IReadOnlyList<ISandboxBackend> _backends;
    private readonly string _mode;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private Dictionary<string, BackendProbe> _probes = new(StringComparer.Ordinal);
    private volatile ISandboxBackend? _current;

    public BackendSelector(IReadOnlyList<ISandboxBackend> backends, string mode, ILogger logger)
    {
        _backends = backends;
        _mode = mode;
        _logger = logger;
    }

    public ISandboxBackend? Current => _current;

    public IReadOnlyList<ISandboxBackend> All => _backends;

    /// <summary>Why no backend can be used (or null when one can).</summary>
    public string? UnavailableReason
    {
        get
        {
            if (_current is not null)
            {
                return null;
            }

            var reasons = _backends.Where(b => _mode == BoxBackendNames.Auto || b.Name == _mode)
                .Select(b => $"{b.Name}: {(_probes.TryGetValue(b.Name, out var p) ? p.Reason : "not probed yet")}");
            return $"No sandbox backend is available ({string.Join("; ", reasons)}).";
        }
    }

    public bool IsAvailable(ISandboxBackend backend) => _probes.TryGetValue(backend.Name, out var probe) && probe.Available;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var probes = await Task.WhenAll(_backends.Select(async b => (b.Name, Probe: await ProbeSafelyAsync(b, cancellationToken).ConfigureAwait(false)))).ConfigureAwait(false);
            _probes = probes.ToDictionary(p => p.Name, p => p.Probe, StringComparer.Ordinal);
            var previous = _current;
            ISandboxBackend? next;
            if (_mode != BoxBackendNames.Auto)
            {
                next = _backends.FirstOrDefault(b => b.Name == _mode && IsAvailable(b));
            }
            else if (previous is not null && IsAvailable(previous))
            {
                next = previous;
            }
            else
            {
                next = _backends.FirstOrDefault(IsAvailable);
            }

            _current = next;
            if (next != previous)
            {
                if (next is null)
                {
                    Log.NoBackend(_logger, UnavailableReason ?? "");
                }
                else
                {
                    Log.BackendSelected(_logger, next.Name, _probes[next.Name].Version ?? "?", previous?.Name ?? "none");
                }
            }
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public IReadOnlyList<BoxBackendInfo> Describe() => [.. _backends.Select(b =>
    {
        var probe = _probes.TryGetValue(b.Name, out var p) ? p : BackendProbe.Unavailable("unavailable: not probed yet");
        return new BoxBackendInfo(b.Name, probe.Available, probe.Reason, probe.Version, b == _current, probe.Enforced);
    })];

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync().ConfigureAwait(false);
        }

        _refreshGate.Dispose();
    }

    private static async Task<BackendProbe> ProbeSafelyAsync(ISandboxBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            return await backend.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return BackendProbe.Unavailable($"unavailable: probing failed ({ex.Message})");
        }
    }
}
