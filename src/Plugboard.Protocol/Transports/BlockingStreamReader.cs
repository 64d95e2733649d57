using System.IO.Pipelines;

namespace Plugboard.Protocol.Transports;

/// <summary>
/// Reads a blocking stream (a process pipe, the console) on a dedicated background thread into a <see cref="Pipe"/>,
/// so waiting for the peer never occupies a thread-pool thread. Backpressure: the thread waits while the pipe holds
/// more than 1 MiB that the connection has not consumed.
/// </summary>
internal static class BlockingStreamReader
{
    public static PipeReader Start(Stream input)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        var thread = new Thread(() => Pump(input, pipe.Writer)) { IsBackground = true, Name = "Plugboard stdio reader" };
        thread.Start();
        return pipe.Reader;
    }

    private static void Pump(Stream input, PipeWriter writer)
    {
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(64 * 1024);
                var read = input.Read(memory.Span);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flush = writer.FlushAsync();
                var result = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            writer.Complete();
        }
        catch (Exception ex)
        {
            // The stream was closed under us (any exception type, depending on the stream) or the connection stopped
            // reading. This is a raw thread: nothing may escape it, or the whole process dies. The reader sees the end.
            try
            {
                writer.Complete(ex is IOException ? ex : null);
            }
            catch (InvalidOperationException)
            {
                // Already completed.
            }
        }
    }
}
