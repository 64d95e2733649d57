using System.Text;

namespace Plugboard.Sdk.Logging;

/// <summary>
/// The process's standard streams as the SDK uses them: stdout carries protocol frames only, so
/// <see cref="Console.Out"/> is pointed at stderr before anything else can write to it.
/// </summary>
internal static class StandardStreams
{
    private static readonly Lazy<Stream> LazyError = new(Console.OpenStandardError);
    private static int _redirected;

    /// <summary>The process's stderr (fd 2), shared by the JSON-lines logger.</summary>
    public static Stream Error => LazyError.Value;

    /// <summary>Sends everything written to <see cref="Console.Out"/> to stderr instead. Idempotent.</summary>
    public static void RedirectConsoleOutToError()
    {
        if (Interlocked.Exchange(ref _redirected, 1) != 0)
        {
            return;
        }

        var writer = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1024, leaveOpen: true)
        {
            AutoFlush = true,
        };
        Console.SetOut(TextWriter.Synchronized(writer));
    }
}
