namespace Plugboard.Runtime.Supervision;

/// <summary>
/// Restart backoff and crash budget for a supervised process: delays grow as base · 2^(n-1) with ±20% jitter up to
/// a maximum; <paramref name="budget"/> crashes within <paramref name="window"/> exhaust the budget.
/// </summary>
internal sealed class RestartPolicy(TimeSpan baseDelay, TimeSpan maxDelay, int budget, TimeSpan window)
{
    private readonly Queue<DateTimeOffset> _crashes = new();

    /// <summary>The policy of <see cref="SupervisorOptions"/>.</summary>
    public RestartPolicy(SupervisorOptions options)
        : this(options.RestartBaseDelay, options.RestartMaxDelay, options.CrashBudget, options.CrashWindow)
    {
    }

    /// <summary>How many crashes, and within what window, exhaust the budget.</summary>
    public string BudgetDescription => $"{budget} crashes within {window.TotalMinutes:0.#} min";

    /// <summary>Forgets past crashes (a deliberate restart).</summary>
    public void Reset() => _crashes.Clear();

    /// <summary>Records a crash now; returns true when the crash budget is exhausted.</summary>
    public bool RecordCrash()
    {
        var now = DateTimeOffset.UtcNow;
        _crashes.Enqueue(now);
        while (_crashes.Count > 0 && now - _crashes.Peek() > window)
        {
            _crashes.Dequeue();
        }

        return _crashes.Count >= budget;
    }

    /// <summary>Whether an instance that ran since <paramref name="startedAt"/> ran long enough to reset the backoff.</summary>
    public bool RanLongEnough(DateTimeOffset startedAt) => DateTimeOffset.UtcNow - startedAt > window;

    /// <summary>The delay before restart attempt <paramref name="attempt"/> (1-based), with jitter.</summary>
    public TimeSpan Delay(int attempt)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(capped * jitter);
    }
}
