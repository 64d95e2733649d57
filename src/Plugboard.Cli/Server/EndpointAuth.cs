using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Plugboard.Cli.Control;

namespace Plugboard.Cli.Server;

/// <summary>Token checks and error answers shared by the <c>/control</c> and <c>/debug</c> endpoints.</summary>
internal static class EndpointAuth
{
    /// <summary>The response header carrying the error message of a refused connection (WebSocket clients often cannot read the body).</summary>
    public const string ErrorHeader = "X-Plugboard-Error";

    /// <summary>The query parameter that may carry the token when a client cannot set headers (browsers).</summary>
    public const string TokenQueryParameter = "access_token";

    /// <summary>The token a request presents: <c>Authorization: Bearer ...</c>, else the <c>access_token</c> query parameter.</summary>
    public static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Query.TryGetValue(TokenQueryParameter, out var value) ? value.ToString() : null;
    }

    /// <summary>The peer's address, for logs.</summary>
    public static string Remote(HttpContext context) => $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";

    /// <summary>Answers with an HTTP error whose JSON body and <see cref="ErrorHeader"/> say what is wrong and what to do.</summary>
    public static async Task RefuseAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[ErrorHeader] = new string([.. message.ReplaceLineEndings(" ").Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new EndpointError(code, message), CliJsonContext.Default.EndpointError, context.RequestAborted);
    }
}
