namespace Plugboard.Cli.Commands;

/// <summary>The exit codes of <c>plugboard</c> (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The operation failed; the message says why and what to do.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong (unknown command or option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>The configuration is invalid; every bad setting is listed with its path.</summary>
    public const int ConfigInvalid = 3;

    /// <summary>No runtime answers at the control endpoint (not running, wrong data folder or URL).</summary>
    public const int RuntimeUnavailable = 4;

    /// <summary>The runtime rejected the control token.</summary>
    public const int Unauthorized = 5;

    /// <summary>The plugin, tool or command does not exist.</summary>
    public const int NotFound = 6;

    /// <summary><c>plugboard run</c>: another runtime uses the data folder, or the port is taken.</summary>
    public const int AlreadyRunning = 7;

    /// <summary><c>pack</c>/<c>install</c>: the plugin does not build, its manifest is invalid, or the package is rejected.</summary>
    public const int PackageInvalid = 8;

    /// <summary>Interrupted with Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>An error for the person at the terminal: the message says what happened and what to do next.</summary>
internal sealed class CliException : Exception
{
    /// <summary>Creates the error.</summary>
    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; }
}
