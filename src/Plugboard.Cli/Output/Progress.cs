using System.Diagnostics;
using System.Globalization;

namespace Plugboard.Cli.Output;

/// <summary>
/// Progress of a long operation on stderr: on a terminal, a spinner line with the running step and its elapsed time;
/// otherwise (CI logs, pipes) one line per step. Results go to stdout, so piping a command's output stays clean.
/// </summary>
internal sealed class Progress : IDisposable
{
    private static readonly string[] Frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    private readonly TextWriter _writer;
    private readonly bool _interactive;
    private readonly Lock _lock = new();
    private readonly Timer? _timer;
    private readonly Stopwatch _stepClock = new();
    private string? _step;
    private int _frame;
    private int _lineLength;

    public Progress(TextWriter? writer = null, bool? interactive = null)
    {
        _writer = writer ?? Console.Error;
        _interactive = interactive ?? (!Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null);
        if (_interactive)
        {
            _timer = new Timer(_ => Render(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Starts a step (finishing the previous one as done).</summary>
    public void Step(string text)
    {
        lock (_lock)
        {
            FinishLocked("✔", null);
            _step = text;
            _stepClock.Restart();
            if (!_interactive)
            {
                _writer.WriteLine($"… {text}");
            }

            RenderLocked();
        }
    }

    /// <summary>Changes the text of the running step (e.g. a counter); shown on terminals only.</summary>
    public void Update(string text)
    {
        lock (_lock)
        {
            if (_step is not null)
            {
                _step = text;
                RenderLocked();
            }
        }
    }

    /// <summary>Shows a line of detail under the current step (e.g. build output) without ending it.</summary>
    public void Detail(string text)
    {
        lock (_lock)
        {
            ClearLocked();
            _writer.WriteLine($"  {text}");
            RenderLocked();
        }
    }

    /// <summary>Ends the current step as done, with an optional result text.</summary>
    public void Done(string? result = null)
    {
        lock (_lock)
        {
            FinishLocked("✔", result);
        }
    }

    /// <summary>Ends the current step as failed.</summary>
    public void Fail(string? reason = null)
    {
        lock (_lock)
        {
            FinishLocked("✖", reason);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            if (_step is not null)
            {
                FinishLocked("✖", "interrupted");
            }
        }
    }

    private void FinishLocked(string mark, string? result)
    {
        if (_step is null)
        {
            return;
        }

        ClearLocked();
        var elapsed = _stepClock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        _writer.WriteLine($"{mark} {result ?? _step} ({elapsed} s)");
        _writer.Flush();
        _step = null;
    }

    private void Render()
    {
        lock (_lock)
        {
            RenderLocked();
        }
    }

    private void RenderLocked()
    {
        if (!_interactive || _step is null)
        {
            return;
        }

        ClearLocked();
        var line = $"{Frames[_frame++ % Frames.Length]} {_step} {_stepClock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
        _writer.Write(line);
        _writer.Flush();
        _lineLength = line.Length;
    }

    private void ClearLocked()
    {
        if (_interactive && _lineLength > 0)
        {
            _writer.Write("\r" + new string(' ', _lineLength) + "\r");
            _lineLength = 0;
        }
    }
}
