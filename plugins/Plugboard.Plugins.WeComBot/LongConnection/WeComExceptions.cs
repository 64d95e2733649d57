namespace Plugboard.Plugins.WeComBot.LongConnection;

/// <summary>WeCom answered a command with a non-zero errcode.</summary>
internal sealed class WeComPlatformException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeComPlatformException(string cmd, string reqId, int errCode, string errMsg)
        : base($"WeCom rejected {cmd} (req_id {reqId}): errcode {errCode} {errMsg}{Hint(errCode)}")
    {
        Cmd = cmd;
        ReqId = reqId;
        ErrCode = errCode;
        ErrMsg = errMsg;
    }

    /// <summary>The command.</summary>
    public string Cmd { get; }

    /// <summary>The req_id it was sent with.</summary>
    public string ReqId { get; }

    /// <summary>WeCom's errcode.</summary>
    public int ErrCode { get; }

    /// <summary>WeCom's errmsg.</summary>
    public string ErrMsg { get; }

    private static string Hint(int errCode) => errCode switch
    {
        WeComErrorCodes.StreamExpired => "; the stream is older than WeCom allows (about 6 minutes): send the rest as a new message",
        WeComErrorCodes.InvalidReqId => "; the message's req_id is unknown or already used up: send a new message instead of a reply",
        WeComErrorCodes.InvalidCredentials => "; check the bot id and secret",
        WeComErrorCodes.CommandConflict => "; the command still conflicted after retries",
        _ => string.Empty,
    };
}

/// <summary>WeCom did not ack a frame within the ack timeout (5 s by default).</summary>
internal sealed class WeComAckTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public WeComAckTimeoutException(string cmd, string reqId, TimeSpan timeout)
        : base($"WeCom did not ack {cmd} (req_id {reqId}) within {timeout.TotalSeconds:0.###} s; the frame may or may not have been delivered.")
    {
        Cmd = cmd;
        ReqId = reqId;
    }

    /// <summary>The command.</summary>
    public string Cmd { get; }

    /// <summary>The req_id.</summary>
    public string ReqId { get; }
}

/// <summary>The long connection is not up (connecting, reconnecting or stopped), or dropped while a frame waited for its ack.</summary>
internal sealed class WeComNotConnectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WeComNotConnectedException(string message)
        : base(message)
    {
    }
}
