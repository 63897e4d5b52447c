using System.Net.Sockets;
using RawRelay.WebSockets;

namespace RawRelay.Tests.Codec;

/// <summary>A receive loop's failure: a broken socket is the peer's end, anything else is ours (1011), never a protocol error.</summary>
public sealed class EndReasonsTests
{
    [Test]
    public void A_broken_or_closed_socket_is_the_peer_vanishing()
    {
        EndReasons.Classify(new SocketException((int)SocketError.ConnectionReset)).Should().Be((EndReason.PeerVanished, CloseCode.None));
        EndReasons.Classify(new ObjectDisposedException("socket")).Should().Be((EndReason.PeerVanished, CloseCode.None));
    }

    [Test]
    public void Any_other_exception_is_an_internal_error_closed_with_1011()
    {
        EndReasons.Classify(new InvalidOperationException("bug")).Should().Be((EndReason.InternalError, CloseCode.InternalError));
        EndReasons.Classify(new IndexOutOfRangeException()).Should().Be((EndReason.InternalError, CloseCode.InternalError));
    }

    [Test]
    public void No_failure_ends_nothing() => EndReasons.Classify(null).Should().Be((EndReason.None, CloseCode.None));
}
