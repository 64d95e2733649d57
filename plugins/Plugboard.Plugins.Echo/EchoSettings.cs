namespace Plugboard.Plugins.Echo;

/// <summary>The plugin's configuration (see plugin.json), read once after the handshake.</summary>
/// <param name="Prefix">What goes before the echoed text.</param>
/// <param name="StreamChunkDelayMs">Pause between streamed chunks.</param>
internal sealed record EchoSettings(string Prefix = EchoSettings.DefaultPrefix, int StreamChunkDelayMs = 40)
{
    public const string DefaultPrefix = "echo: ";
}

/// <summary>Holds the current <see cref="EchoSettings"/> (defaults until the runtime's configuration has been read).</summary>
internal sealed class EchoSettingsHolder
{
    private EchoSettings _current = new();

    public EchoSettings Current => Volatile.Read(ref _current);

    public void Set(EchoSettings settings) => Volatile.Write(ref _current, settings);
}
