using Plugboard.Protocol.Contracts;
using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Plugins.QQBot;

/// <summary>Which bot serves which QQ app and shard in this process: one gateway session per app and shard.</summary>
internal sealed class AppRegistry
{
    private readonly Dictionary<(string AppId, int Shard, int Shards), string> _owners = [];
    private readonly Lock _lock = new();

    /// <summary>Claims an app and shard for a bot.</summary>
    /// <exception cref="JsonRpcException">Another bot already serves it.</exception>
    public void Claim(string botId, string appId, (int Id, int Count) shard)
    {
        lock (_lock)
        {
            var key = (appId, shard.Id, shard.Count);
            if (_owners.TryGetValue(key, out var owner) && owner != botId)
            {
                throw JsonRpcException.WithData(PlugboardErrorCodes.BotInvalid, $"Bot {owner} already serves QQ app {appId} (shard {shard.Id}/{shard.Count}) in this adapter; the platform allows one gateway session per app and shard. Stop that bot or configure another shard.", ("bot", botId), ("owner", owner));
            }

            _owners[key] = botId;
        }
    }

    /// <summary>Releases whatever the bot claimed.</summary>
    public void Release(string botId)
    {
        lock (_lock)
        {
            foreach (var key in _owners.Where(o => o.Value == botId).Select(o => o.Key).ToList())
            {
                _owners.Remove(key);
            }
        }
    }
}
