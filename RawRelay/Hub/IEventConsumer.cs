namespace RawRelay.Hub;

/// <summary>
/// Takes the relay's events as they happen. It must never wait: it queues (bounded), and drops and counts, or
/// cuts itself off, when it falls behind, so a slow consumer never slows the relay. Called from any thread.
/// </summary>
internal interface IEventConsumer
{
    void OnEvent(RelayEvent relayEvent);
}
