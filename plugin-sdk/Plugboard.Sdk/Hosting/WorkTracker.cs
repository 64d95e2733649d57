namespace Plugboard.Sdk.Hosting;

/// <summary>Counts running handlers, refuses new ones once stopping, and tells when the last one has finished.</summary>
internal sealed class WorkTracker
{
    private readonly Lock _lock = new();
    private int _running;
    private bool _accepting = true;
    private TaskCompletionSource? _idle;

    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    public bool TryEnter()
    {
        lock (_lock)
        {
            if (!_accepting)
            {
                return false;
            }

            _running++;
            return true;
        }
    }

    public void Exit()
    {
        lock (_lock)
        {
            if (--_running == 0)
            {
                _idle?.TrySetResult();
            }
        }
    }

    /// <summary>Refuses new work; the task completes when no handler runs any more.</summary>
    public Task StopAcceptingAsync()
    {
        lock (_lock)
        {
            _accepting = false;
            if (_running == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }
}
