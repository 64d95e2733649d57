using Plugboard.Box.Contracts;
using Plugboard.Runtime.Box;

namespace Plugboard.Runtime;

/// <summary>The Box integration: the connection to the sandbox process and the native sandbox tools.</summary>
public sealed partial class PlugboardRuntime
{
    private BoxConnector? _box;

    /// <summary>Whether the runtime can use its Box now and, when it cannot, why (the sandbox tools are offered only while it can).</summary>
    public BoxConnectionStatus GetBoxStatus()
        => _box?.Status ?? new BoxConnectionStatus(
            _options.Box.Enabled ? BoxConnectionState.Connecting : BoxConnectionState.Disabled,
            _options.Box.Enabled ? "The runtime has not started yet." : "The Box is not enabled (Box:Enabled is false).",
            null,
            null,
            DateTimeOffset.UtcNow,
            0);

    /// <summary>The connected Box's client, for hosts that manage sessions and managed processes themselves; null while not connected.</summary>
    public BoxClient? BoxClient => _box?.Client;

    /// <summary>The Box session id for an event's context, by <paramref name="template"/> or the configured <see cref="PlugboardBoxOptions.SessionTemplate"/>.</summary>
    /// <exception cref="ArgumentException">The template is invalid or the context lacks an id the template needs.</exception>
    public string ResolveBoxSessionId(BoxSessionContext context, string? template = null)
        => BoxSessionTemplate.Resolve(template ?? _options.Box.SessionTemplate, context);

    private async Task StartBoxAsync(CancellationToken cancellationToken)
    {
        if (!_options.Box.Enabled || _box is { Status.State: not BoxConnectionState.Stopped })
        {
            return;
        }

        var connector = new BoxConnector(_options.Box, _options.DataDirectory, _loggerFactory.CreateLogger("Plugboard.Runtime.Box"));
        var tools = new BoxNativeTools(() => connector.Client, () => _options.Box.SessionTemplate, _options.Box.Profile);
        connector.HealthChanged += health =>
        {
            // The sandbox tools are offered only while the Box can run them.
            if (health.Healthy)
            {
                _tools.SetSourceTools(BoxNativeTools.Owner, tools.Create());
            }
            else
            {
                _tools.RemoveSource(BoxNativeTools.Owner);
            }
        };
        connector.Disconnected += _ => _tools.RemoveSource(BoxNativeTools.Owner);

        // Stdio MCP servers located in the Box start as managed processes there; while the Box is away the launcher
        // fails with a retryable error, so the MCP supervisor brings them back when the Box returns.
        McpBoxLauncher = (definition, stderr, ct) => BoxMcpEndpoint.StartAsync(connector, _options.Box.McpProfile ?? _options.Box.Profile, definition, stderr, _loggerFactory, ct);
        _box = connector;
        await connector.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StopBoxAsync()
    {
        // The stopped connector stays, so the status keeps saying Stopped.
        var connector = _box;
        if (connector is not null)
        {
            await connector.DisposeAsync().ConfigureAwait(false);
            _tools.RemoveSource(BoxNativeTools.Owner);
        }
    }
}
