namespace Plugboard.Runtime.Supervision;

/// <summary>How plugin processes are supervised. Every property has a documented default.</summary>
public sealed class SupervisorOptions
{
    /// <summary>How long a plugin has from process start to answering <c>initialize</c>. Default 15 s.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a running plugin is pinged with <c>$/ping</c>. Default 5 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may take before the plugin is Unresponsive. Default 5 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long graceful shutdown (<c>shutdown</c>, <c>exit</c>, stdin closed) may take before the process tree is killed. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first restart delay; doubled per consecutive crash, with ±20% jitter. Default 500 ms.</summary>
    public TimeSpan RestartBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest restart delay. Default 30 s.</summary>
    public TimeSpan RestartMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many crashes within <see cref="CrashWindow"/> make the plugin Failed. Default 5.</summary>
    public int CrashBudget { get; set; } = 5;

    /// <summary>The window of the crash budget. Default 3 minutes.</summary>
    public TimeSpan CrashWindow { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How many of a plugin's last stderr lines are kept for crash reports and <c>plugin logs</c>. Default 200.</summary>
    public int StderrLines { get; set; } = 200;

    /// <summary>
    /// Environment variables passed from the runtime to plugins; everything else is withheld. Default: PATH, HOME, USER,
    /// LANG, LC_ALL, TZ, TMPDIR, DOTNET_ROOT, NODE_PATH, SYSTEMROOT and the proxy variables (HTTP_PROXY, HTTPS_PROXY,
    /// WSS_PROXY, ALL_PROXY, NO_PROXY, also in lowercase). The manifest's <c>env</c> and the runtime's
    /// <c>PLUGBOARD_*</c> variables are always added.
    /// </summary>
    public IList<string> EnvironmentAllowlist { get; } =
    [
        "PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR", "DOTNET_ROOT", "NODE_PATH", "SYSTEMROOT",
        "HTTP_PROXY", "HTTPS_PROXY", "WSS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
    ];

    internal void Validate(List<string> errors)
    {
        static void Positive(List<string> errors, TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"Supervisor:{name} must be positive (got {value}).");
            }
        }

        Positive(errors, ReadyTimeout, nameof(ReadyTimeout));
        Positive(errors, PingInterval, nameof(PingInterval));
        Positive(errors, PingTimeout, nameof(PingTimeout));
        Positive(errors, ShutdownTimeout, nameof(ShutdownTimeout));
        Positive(errors, RestartBaseDelay, nameof(RestartBaseDelay));
        Positive(errors, CrashWindow, nameof(CrashWindow));
        if (RestartMaxDelay < RestartBaseDelay)
        {
            errors.Add($"Supervisor:RestartMaxDelay ({RestartMaxDelay}) must not be below RestartBaseDelay ({RestartBaseDelay}).");
        }

        if (CrashBudget < 1)
        {
            errors.Add($"Supervisor:CrashBudget must be at least 1 (got {CrashBudget}).");
        }

        if (StderrLines < 1)
        {
            errors.Add($"Supervisor:StderrLines must be at least 1 (got {StderrLines}).");
        }
    }
}
