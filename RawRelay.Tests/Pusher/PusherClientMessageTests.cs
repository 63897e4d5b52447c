using System.Text;
using RawRelay.Pusher;

namespace RawRelay.Tests.Pusher;

/// <summary>What the relay reads of a Pusher client's message: pusher-js sends data as an object, other clients as a string holding one.</summary>
[TestFixture]
public sealed class PusherClientMessageTests
{
    [TestCase("{\"event\":\"pusher:ping\",\"data\":{}}", "pusher:ping", null, null, null)]
    [TestCase("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"news\"}}", "pusher:subscribe", "news", null, null)]
    [TestCase("{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"k:s\",\"channel\":\"private-a\"}}", "pusher:subscribe", "private-a", "k:s", null)]
    [TestCase("{\"event\":\"pusher:subscribe\",\"data\":{\"auth\":\"k:s\",\"channel_data\":\"{\\\"user_id\\\":1}\",\"channel\":\"presence-a\"}}", "pusher:subscribe", "presence-a", "k:s", "{\"user_id\":1}")]
    [TestCase("{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"channel\\\":\\\"news\\\"}\"}", "pusher:subscribe", "news", null, null)]   // data as a string
    [TestCase("{\"event\":\"client-typing\",\"channel\":\"private-a\",\"data\":{\"who\":1}}", "client-typing", "private-a", null, null)]
    [TestCase("{\"data\":{},\"event\":\"pusher:ping\",\"extra\":[1,2,3]}", "pusher:ping", null, null, null)]                               // any order, more fields
    public void A_message_is_read(string json, string name, string? channel, string? auth, string? channelData)
    {
        PusherClientMessage message = PusherClientMessage.Parse(Encoding.UTF8.GetBytes(json), out string error)!;
        error.Should().BeEmpty();
        message.Event.Should().Be(name);
        message.Channel.Should().Be(channel);
        message.Auth.Should().Be(auth);
        message.ChannelData.Should().Be(channelData);
    }

    [Test]
    public void A_client_event_keeps_its_data_as_it_came()
    {
        PusherClientMessage message = PusherClientMessage.Parse("{\"event\":\"client-x\",\"channel\":\"private-a\",\"data\":{\"a\":[1,\"\\u00e9\"]}}"u8, out _)!;
        message.DataJson.Should().Be("{\"a\":[1,\"\\u00e9\"]}");
    }

    [TestCase("")]                                  // nothing
    [TestCase("not json")]
    [TestCase("[1,2]")]                             // not an object
    [TestCase("{\"data\":{}}")]                     // no event
    [TestCase("{\"event\":42}")]                    // event not a string
    [TestCase("{\"event\":\"pusher:ping\"")]        // cut short
    [TestCase("{\"event\":\"x\",\"data\":\"{broken\"}")]   // data a string that is not JSON
    public void Anything_else_is_refused_with_a_reason(string json)
    {
        PusherClientMessage.Parse(Encoding.UTF8.GetBytes(json), out string error).Should().BeNull();
        error.Should().NotBeEmpty();
    }

    [Test]
    public void Deep_nesting_is_refused_not_a_crash()
    {
        string deep = "{\"event\":\"client-x\",\"data\":" + new string('[', 1000) + new string(']', 1000) + "}";
        PusherClientMessage.Parse(Encoding.UTF8.GetBytes(deep), out _).Should().BeNull();
    }
}
