namespace Plugboard.Plugins.QQBot.Api;

/// <summary>What went wrong with a QQ platform call, for callers that branch on it (sent as <c>data.kind</c>).</summary>
internal enum QQErrorKind
{
    /// <summary>Any other platform error; <c>code</c> and <c>message</c> say which.</summary>
    Platform,

    /// <summary>The credentials or the access token were rejected (HTTP 401, codes 11241-11244, the token endpoint).</summary>
    Authentication,

    /// <summary>The bot may not do this (HTTP 403, privilege codes, banned, muted, not a member).</summary>
    Forbidden,

    /// <summary>The API or the target does not exist (HTTP 404).</summary>
    NotFound,

    /// <summary>Rate limited (HTTP 429, 22009, 20028, 610012, 610013, 620006) and still limited after the retries.</summary>
    RateLimited,

    /// <summary>The monthly or daily active-message quota is used up (304045-304052, 40034102).</summary>
    QuotaExceeded,

    /// <summary>The passive-reply window of the message has passed (checked locally, or 304027, 40034005, 40034128, 304103).</summary>
    ReplyWindowExpired,

    /// <summary>The message has had as many passive replies as the platform allows.</summary>
    ReplyLimitReached,

    /// <summary>The msg_id or event_id replied to is invalid for this bot or this kind of reply (40034024, 40034025).</summary>
    ReplyTargetInvalid,

    /// <summary>The same msg_id and msg_seq were sent twice (40054005).</summary>
    DuplicateMessage,

    /// <summary>A media file exceeds the upload limit.</summary>
    UploadTooLarge,

    /// <summary>The bot's daily upload quota is used up (40093002).</summary>
    UploadDailyLimit,

    /// <summary>The platform could not fetch or convert the media (304082, 304083).</summary>
    UploadFetchFailed,

    /// <summary>The request is not valid (bad target, empty message, bad media, URL not allowed, 400).</summary>
    InvalidRequest,

    /// <summary>This platform scene cannot do what was asked (e.g. files in a guild channel).</summary>
    Unsupported,

    /// <summary>The platform could not be reached, or did not answer in time.</summary>
    Network,
}
