namespace Plugboard.Plugins.QQBot.Api;

/// <summary>
/// The platform's error codes that change what the adapter does (see the reference, section A10): which ones mean
/// the token is bad, which are rate limits worth a retry, which mean the reply window has passed.
/// </summary>
internal static class QQErrorCodes
{
    /// <summary>Token check failed (retry once with a new token).</summary>
    public const long TokenCheckFailed = 11242;

    /// <summary>Token expired or missing.</summary>
    public const long TokenExpired = 11244;

    /// <summary>The same msg_id and msg_seq were sent twice.</summary>
    public const long DuplicateMsgSeq = 40054005;

    /// <summary>Chunked upload: a transient error; retry the step.</summary>
    public const long UploadRetryable = 40093001;

    /// <summary>Upload: the daily quota is used up.</summary>
    public const long UploadDailyLimit = 40093002;

    /// <summary>Rich media could not be fetched (retry).</summary>
    public const long MediaFetchFailed = 304082;

    /// <summary>Rich media could not be converted (retry).</summary>
    public const long MediaConvertFailed = 304083;

    /// <summary>Push or reply accepted but pending audit.</summary>
    public const long PendingAuditPush = 304023;

    /// <summary>Reply accepted but pending audit.</summary>
    public const long PendingAuditReply = 304024;

    /// <summary>Classifies an HTTP status and business code.</summary>
    public static QQErrorKind Classify(int status, long? code)
    {
        switch (code)
        {
            case 11241 or 11242 or 11243 or 11244 or 11251 or 11273 or 11274 or 11275:
                return QQErrorKind.Authentication;
            case 11252 or 11253 or 11254 or 11263 or 11264 or 11265 or 11281 or 11282 or 40054002 or 40054003 or 304036 or 304037 or 304057:
                return QQErrorKind.Forbidden;
            case 22009 or 20028 or 610012 or 610013 or 620006:
                return QQErrorKind.RateLimited;
            case >= 304045 and <= 304052:
            case 40034102:
                return QQErrorKind.QuotaExceeded;
            case 304027 or 40034005 or 40034128 or 304103:
                return QQErrorKind.ReplyWindowExpired;
            case 40034024 or 40034025:
                return QQErrorKind.ReplyTargetInvalid;
            case DuplicateMsgSeq:
                return QQErrorKind.DuplicateMessage;
            case UploadDailyLimit:
                return QQErrorKind.UploadDailyLimit;
            case MediaFetchFailed or MediaConvertFailed:
                return QQErrorKind.UploadFetchFailed;
            case 50006 or 304003 or 40054010 or 40054007 or 40054018 or 304038:
                return QQErrorKind.InvalidRequest;
        }

        return status switch
        {
            401 => QQErrorKind.Authentication,
            403 => QQErrorKind.Forbidden,
            404 => QQErrorKind.NotFound,
            413 => QQErrorKind.UploadTooLarge,
            429 => QQErrorKind.RateLimited,
            400 => QQErrorKind.InvalidRequest,
            _ => QQErrorKind.Platform,
        };
    }

    /// <summary>Whether a failed call is worth retrying after a pause (rate limits).</summary>
    public static bool IsRateLimit(int status, long? code) => Classify(status, code) == QQErrorKind.RateLimited;

    /// <summary>Whether the access token was rejected, so a fresh one may fix the call.</summary>
    public static bool IsTokenRejected(int status, long? code) => status == 401 || code is 11241 or 11242 or 11243 or 11244;

    /// <summary>What to do next, for error messages.</summary>
    public static string Advice(QQErrorKind kind, long? code) => kind switch
    {
        QQErrorKind.Authentication => "Check the bot's appId and clientSecret (QQ Bot console → Development → Settings).",
        QQErrorKind.Forbidden when code == 11265 => "The bot is banned on the QQ platform; see the QQ Bot console.",
        QQErrorKind.Forbidden => "The bot lacks the permission for this call, or is muted or not a member of the target; check the QQ Bot console.",
        QQErrorKind.NotFound => "Check the target id and the apiBaseUrl setting.",
        QQErrorKind.RateLimited => "The platform is rate limiting this bot; send less often or retry later.",
        QQErrorKind.QuotaExceeded => "The active-message quota is used up (proactive pushes are limited, and discontinued since 2025-04-21); reply to a received message instead.",
        QQErrorKind.ReplyWindowExpired => "The message is too old to be replied to passively; reply sooner, or wait for the user's next message.",
        QQErrorKind.ReplyLimitReached => "Each received message allows only a few passive replies; combine the content into fewer messages.",
        QQErrorKind.ReplyTargetInvalid => "The msg_id or event_id does not belong to this bot and conversation, or is used for the wrong kind of reply.",
        QQErrorKind.DuplicateMessage => "The platform has already accepted a message with this msg_id and msg_seq.",
        QQErrorKind.UploadTooLarge => "Send a smaller file.",
        QQErrorKind.UploadDailyLimit => "The bot's daily upload quota is used up; retry tomorrow.",
        QQErrorKind.UploadFetchFailed => "The platform could not download or convert the media; check that the URL is public and the format is supported (png/jpg, mp4, silk).",
        QQErrorKind.InvalidRequest when code == 304003 => "URLs in messages must be registered in the QQ Bot console first.",
        QQErrorKind.InvalidRequest => "Check the message content and target.",
        QQErrorKind.Unsupported => "Use a QQ person or group chat for this.",
        QQErrorKind.Network => "Check the network, the proxy settings and apiBaseUrl.",
        _ => "See the QQ Bot error code list for this code.",
    };
}
