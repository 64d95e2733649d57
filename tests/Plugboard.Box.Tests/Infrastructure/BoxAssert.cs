using Plugboard.Protocol.JsonRpc;

namespace Plugboard.Box.Tests.Infrastructure;

public static class BoxAssert
{
    /// <summary>Asserts the call fails with a JSON-RPC error of <paramref name="code"/>; returns the error.</summary>
    public static async Task<JsonRpcException> FailsWithAsync(int code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<JsonRpcException>(call);
        Assert.True(error.Code == code, $"Expected error code {code}, got {error.Code}: {error.Message}");
        return error;
    }
}
