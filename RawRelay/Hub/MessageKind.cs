namespace RawRelay.Hub;

/// <summary>Whether a message is text (UTF-8) or binary; each dialect frames it as such.</summary>
internal enum MessageKind : byte
{
    Text,
    Binary,
}
