using System.Diagnostics;
using Xunit.Sdk;

namespace Plugboard.Protocol.Tests.Infrastructure;

/// <summary>
/// Turns hangs into failures. The limits are generous on purpose: they never measure speed, they only stop a test
/// that would otherwise wait forever on a loaded machine.
/// </summary>
internal static class TestTimeouts
{
    /// <summary>How long any single awaited step may take before the test fails as hung.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    /// <summary>Awaits <paramref name="task"/>, failing the test if it does not complete within <paramref name="limit"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan? limit = null)
    {
        var timeout = limit ?? Step;
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new XunitException($"Hang: the operation did not complete within {timeout.TotalSeconds:0} s.");
        }
    }

    /// <inheritdoc cref="Within{T}(Task{T}, TimeSpan?)"/>
    public static async Task Within(this Task task, TimeSpan? limit = null)
    {
        var timeout = limit ?? Step;
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new XunitException($"Hang: the operation did not complete within {timeout.TotalSeconds:0} s.");
        }
    }

    /// <inheritdoc cref="Within{T}(Task{T}, TimeSpan?)"/>
    public static Task<T> Within<T>(this ValueTask<T> task, TimeSpan? limit = null) => task.AsTask().Within(limit);

    /// <inheritdoc cref="Within{T}(Task{T}, TimeSpan?)"/>
    public static Task Within(this ValueTask task, TimeSpan? limit = null) => task.AsTask().Within(limit);

    /// <summary>
    /// Polls <paramref name="probe"/> until <paramref name="done"/> holds; for effects that happen asynchronously on the
    /// peer (a notification handled, a cancellation observed). Fails with the last value seen if it never holds.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? limit = null)
    {
        var timeout = limit ?? Step;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe().Within(timeout);
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                throw new XunitException($"Expected {what} within {timeout.TotalSeconds:0} s; the last value seen was {Describe(value)}.");
            }

            await Task.Delay(20);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object?>()) + "]",
        _ => value.ToString() ?? "(null)",
    };
}
