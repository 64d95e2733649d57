namespace Plugboard.Plugins.Tests.Infrastructure;

/// <summary>One runtime with WebChat and Echo and a web chat bot <c>chat</c>, shared by a test class.</summary>
public sealed class SharedChatHost : IAsyncLifetime
{
    private PluginHost? _host;

    internal PluginHost Host => _host ?? throw new InvalidOperationException("Not started.");

    internal Uri ChatUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await PluginHost.StartAsync();
        ChatUrl = await _host.AddWebChatBotAsync("chat");
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
