using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plugboard.Plugins.WeComBot.Adapter;


namespace Plugboard.Plugins.WeComBot.Webhook;

/// <summary>
/// The HTTP endpoint of webhook mode: one Kestrel listener per listen address, serving each bot under
/// <c>/wecombot/{botId}</c> (GET for URL verification, POST for callbacks).
/// </summary>
internal sealed class WeComWebhookHost : IAsyncDisposable
{
    /// <summary>The path prefix; a bot's callback URL is <c>{base}/wecombot/{botId}</c>.</summary>
    public const string PathPrefix = "/wecombot/";

    private const int MaxBodyBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, WeComAiBot> _bots = new(StringComparer.Ordinal);
    private readonly WebApplication _app;

    private WeComWebhookHost(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The address it listens on (with the real port when the configured one was 0).</summary>
    public string BaseUrl { get; }

    /// <summary>How many bots it serves.</summary>
    public int BotCount => _bots.Count;

    /// <summary>Starts a listener on <paramref name="listen"/> (e.g. <c>http://0.0.0.0:8480</c>).</summary>
    public static async Task<WeComWebhookHost> StartAsync(string listen, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        builder.WebHost.ConfigureKestrel(options => options.Limits.MaxRequestBodySize = MaxBodyBytes);
        var app = builder.Build();
        WeComWebhookHost? host = null;
        app.Map(PathPrefix + "{botId}", async context =>
        {
            var botId = (string)context.Request.RouteValues["botId"]!;
            if (host is null || !host._bots.TryGetValue(botId, out var bot))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"No WeCom bot '{botId}' is served here.", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            using var reader = new StreamReader(context.Request.Body);
            string body;
            try
            {
                body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                context.Response.StatusCode = ex.StatusCode;
                return;
            }

            var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            var request = new WebhookRequest(context.Request.Method, query, body, context.Connection.RemoteIpAddress?.ToString() ?? "?");
            var response = await bot.HandleWebhookAsync(request, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? listen;
        host = new WeComWebhookHost(app, address.TrimEnd('/'));
        WeComLog.WebhookListening(logger, host.BaseUrl);
        return host;
    }

    /// <summary>Serves a bot; returns its callback URL.</summary>
    /// <exception cref="InvalidOperationException">Another bot with that id is served here.</exception>
    public string Add(WeComAiBot bot)
    {
        if (!_bots.TryAdd(bot.Id, bot))
        {
            throw new InvalidOperationException($"Bot {bot.Id} is already served on {BaseUrl}.");
        }

        return BaseUrl + PathPrefix + Uri.EscapeDataString(bot.Id);
    }

    /// <summary>Stops serving a bot; returns whether any bot is left.</summary>
    public bool Remove(string botId)
    {
        _bots.TryRemove(botId, out _);
        return !_bots.IsEmpty;
    }

    /// <summary>Stops the listener.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
