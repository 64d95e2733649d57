namespace Plugboard.Plugins.QQBot.Api;

/// <summary>The answer of <c>GET /gateway/bot</c>.</summary>
/// <param name="Url">The gateway WebSocket URL.</param>
/// <param name="Shards">The recommended shard count.</param>
/// <param name="Total">Sessions allowed per 24 h.</param>
/// <param name="Remaining">Sessions left in the current 24 h.</param>
/// <param name="ResetAfter">When <paramref name="Remaining"/> resets.</param>
/// <param name="MaxConcurrency">Sessions that may start per 5 s.</param>
internal sealed record GatewayInfo(string Url, int Shards, int Total, int Remaining, TimeSpan ResetAfter, int MaxConcurrency);
