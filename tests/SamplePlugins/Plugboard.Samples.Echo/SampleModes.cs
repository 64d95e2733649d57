using Plugboard.Sdk;

namespace Plugboard.Samples.Echo;

/// <summary>Misbehaviours for supervisor tests, run after the handshake.</summary>
internal static class SampleModes
{
    /// <summary>Writes a line that is not a frame to the real stdout, as a careless library would.</summary>
    public static async ValueTask WriteGarbageToStdoutAsync(IPluginRuntime runtime, CancellationToken cancellationToken)
    {
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync("garbage-stdout: this line is not a protocol frame\n"u8.ToArray(), cancellationToken);
        await stdout.FlushAsync(cancellationToken);
        Console.Error.WriteLine("garbage-stdout: wrote a line that is not a frame to stdout.");
    }

    /// <summary>Emits an event of 20 MiB, over the runtime's default 16 MiB message limit.</summary>
    public static async ValueTask SendOversizedMessageAsync(IPluginRuntime runtime, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await runtime.EmitEventAsync("sample.oversized", new string('x', 20 * 1024 * 1024), cancellationToken: timeout.Token);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"oversized: the runtime rejected the 20 MiB message as expected ({ex.GetType().Name}: {ex.Message})");
        }
    }
}
