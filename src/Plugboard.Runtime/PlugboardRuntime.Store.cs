using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Runtime;

/// <summary>Installation into the runtime's plugin store.</summary>
public sealed partial class PlugboardRuntime
{
    private string InstalledPluginsRoot => Path.Combine(_options.DataDirectory, "plugins", "installed");

    private Task<string> InstallToStoreAsync(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw JsonRpcException.WithData(PlugboardErrorCodes.PluginNotFound, $"Nothing to install at {path}: give a plugin folder (with plugin.json) or a .zip package.", ("path", path));
        }

        throw new NotSupportedException("Plugin store integration pending.");
    }

    private Task UninstallFromStoreAsync(string pluginId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = pluginId;
        return Task.CompletedTask;
    }
}
