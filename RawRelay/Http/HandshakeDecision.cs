namespace RawRelay.Http;

/// <summary>An accepted upgrade (Status 101, with id, channels and key) or a refusal with its status and reason.</summary>
internal readonly record struct HandshakeDecision(int Status, string Reason, string Id, string Key, string[] Channels)
{
    public bool Accepted => Status == 101;

    public static HandshakeDecision Refuse(int status, string reason) => new(status, reason, "", "", []);
}
