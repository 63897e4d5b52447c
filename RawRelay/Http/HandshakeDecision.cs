using RawRelay.WebSockets;

namespace RawRelay.Http;

/// <summary>
/// An accepted upgrade (Status 101, with id, channels, key, the subprotocol selected and the positions to
/// resume from) or a refusal with its status and reason.
/// </summary>
internal readonly record struct HandshakeDecision(int Status, string Reason, string Id, string Key, string[] Channels,
    string? Protocol = null, ResumePoint[]? Since = null)
{
    public bool Accepted => Status == 101;

    public static HandshakeDecision Refuse(int status, string reason) => new(status, reason, "", "", []);
}
