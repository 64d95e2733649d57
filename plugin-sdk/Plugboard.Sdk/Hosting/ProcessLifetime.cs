using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Plugboard.Sdk.Hosting;

/// <summary>
/// Ties the plugin's lifetime to its surroundings: SIGTERM/SIGINT request a graceful stop (a second signal exits at
/// once), and when the runtime's process (<c>PLUGBOARD_RUNTIME_PID</c>) is gone the plugin stops, with a hard
/// <see cref="Environment.Exit(int)"/> backstop so it is gone within 2 s even if user code hangs. The watch runs on
/// its own thread so a starved thread pool cannot stop it.
/// </summary>
internal sealed class ProcessLifetime : IDisposable
{
    /// <summary>How often the runtime's process is checked.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long after the runtime is found gone (or closed the connection) the process is forced to exit.</summary>
    public static readonly TimeSpan HardExitDelay = TimeSpan.FromMilliseconds(1200);

    private readonly Action<string> _onSignal;
    private readonly Action<int> _onParentGone;
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly ManualResetEventSlim _disposed = new();
    private int _signalCount;
    private int _backstopArmed;

    public ProcessLifetime(Action<string> onSignal, Action<int> onParentGone)
    {
        _onSignal = onSignal;
        _onParentGone = onParentGone;
    }

    /// <summary>Handles SIGTERM and SIGINT (and SIGQUIT) as graceful stop requests.</summary>
    public void HandleSignals()
    {
        foreach (var signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT])
        {
            try
            {
                _signals.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGQUIT has no equivalent on Windows.
            }
        }
    }

    /// <summary>Starts watching the runtime's process; calls the parent-gone callback once when it disappears.</summary>
    public void WatchParent(int pid)
    {
        var identity = ProcessIdentity.Capture(pid);
        var thread = new Thread(() => Watch(pid, identity))
        {
            IsBackground = true,
            Name = "Plugboard runtime watch",
        };
        thread.Start();
    }

    /// <summary>Forces the process to exit after <see cref="HardExitDelay"/> unless it has exited by then. Idempotent.</summary>
    public void ArmExitBackstop()
    {
        if (Interlocked.Exchange(ref _backstopArmed, 1) != 0)
        {
            return;
        }

        var thread = new Thread(() =>
        {
            Thread.Sleep(HardExitDelay);
            Environment.Exit(0);
        })
        {
            IsBackground = true,
            Name = "Plugboard exit backstop",
        };
        thread.Start();
    }

    /// <summary>Parses <c>PLUGBOARD_RUNTIME_PID</c>; <see langword="null"/> when absent or invalid.</summary>
    public static int? ParsePid(string? value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;

    public void Dispose()
    {
        _disposed.Set();
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }

        _signals.Clear();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signalCount) > 1)
        {
            // Second signal: let the default action terminate the process.
            context.Cancel = false;
            return;
        }

        context.Cancel = true;
        _onSignal(context.Signal.ToString());
    }

    private void Watch(int pid, ProcessIdentity? identity)
    {
        while (!_disposed.IsSet)
        {
            if (!ProcessIdentity.IsAlive(pid, identity))
            {
                _onParentGone(pid);
                ArmExitBackstop();
                return;
            }

            _disposed.Wait(PollInterval);
        }
    }

    /// <summary>What identifies a process beyond its id, so a reused pid is not mistaken for the runtime.</summary>
    private sealed record ProcessIdentity(string? LinuxStartTime, DateTime? StartTime)
    {
        /// <summary>The identity of a running process; <see langword="null"/> when no such process exists.</summary>
        public static ProcessIdentity? Capture(int pid)
        {
            if (OperatingSystem.IsLinux())
            {
                return ReadLinuxStat(pid) is { State: not ('Z' or 'X') } stat ? new ProcessIdentity(stat.StartTime, null) : null;
            }

            try
            {
                using var process = Process.GetProcessById(pid);
                return new ProcessIdentity(null, TryGetStartTime(process));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return null;
            }
        }

        public static bool IsAlive(int pid, ProcessIdentity? identity)
        {
            if (identity is null)
            {
                // The process was already gone when the watch started.
                return false;
            }

            if (OperatingSystem.IsLinux())
            {
                // A zombie (exited, not yet reaped by its parent) counts as gone; so does a pid reused by another process.
                return ReadLinuxStat(pid) is { } stat && stat.State is not ('Z' or 'X') && stat.StartTime == identity.LinuxStartTime;
            }

            try
            {
                using var process = Process.GetProcessById(pid);
                return !process.HasExited && (identity.StartTime is null || TryGetStartTime(process) is not { } started || started == identity.StartTime);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return false;
            }
        }

        private static DateTime? TryGetStartTime(Process process)
        {
            try
            {
                return process.StartTime;
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Not readable for this process (e.g. another user's); fall back to existence only.
                return null;
            }
        }

        private static (char State, string StartTime)? ReadLinuxStat(int pid)
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            // "pid (comm) state ppid ... starttime(22nd field) ..."; comm may contain spaces and parentheses.
            var close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 >= stat.Length)
            {
                return null;
            }

            var fields = stat[(close + 2)..].Split(' ');
            return fields.Length > 19 && fields[0].Length == 1 ? (fields[0][0], fields[19]) : null;
        }
    }
}
