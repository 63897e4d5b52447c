using System.Text;
using RawRelay.Tests.Infrastructure;

namespace RawRelay.Tests.Integration;

/// <summary>
/// A refused command never lets its payload be read as commands (SPEC, the control socket): a refused
/// length-prefixed line whose length can be read has that payload skipped, then gets its ERR; one whose
/// length cannot be read gets its ERR and the connection closes. The payloads here hold command lines, as
/// a chat line typed by a user may.
/// </summary>
[TestFixture, Parallelizable(ParallelScope.Self)]
public sealed class RefusedPayloadTests
{
    private const long MaxMessage = 4096;
    private RelayFixture _relay = null!;

    [OneTimeSetUp]
    public void StartRelay() => _relay = RelayFixture.Start(o => o with { MaxMessage = MaxMessage });

    [OneTimeTearDown]
    public async Task StopRelay() => await _relay.DisposeAsync();

    [TestCase("SEND TEXT  {1}", "ERR usage: SEND TEXT <id> <length>")]                 // an empty id
    [TestCase("SEND TEXT a b {1}", "ERR usage: SEND TEXT <id> <length>")]              // an id with a space
    [TestCase("SEND BINARY {0} x {1}", "ERR usage: SEND BINARY <id> <length>")]        // a word too many
    [TestCase("send text {1}", "ERR usage: SEND TEXT <id> <length>")]                  // no id, lower case
    [TestCase("BROADCAST TEXT {0} {1}", "ERR usage: BROADCAST TEXT <length>")]          // an id where none belongs
    [TestCase("SEND TEXT \u00e9t\u00e9 {1}", "ERR usage: SEND TEXT <id> <length>")]    // an id that is not ASCII
    public async Task A_refused_length_prefixed_line_has_its_payload_skipped_and_nothing_in_it_runs(string lineFormat, string reply)
    {
        string id = TestData.NewId("skip");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();
        string payload = $"hi\nBROADCAST MESSAGE spam\nSEND MESSAGE {id} injected\nQUIT\n";

        await control.WriteAsync(string.Format(lineFormat, id, Encoding.UTF8.GetByteCount(payload)) + "\n" + payload +
            $"SEND MESSAGE {id} after\n").WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be(reply, "the payload was skipped, then the line refused");
        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 1", "the connection stays usable");
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("after", "nothing in the payload ran");
    }

    [Test]
    public async Task A_length_prefixed_line_that_is_not_UTF8_has_its_payload_skipped()
    {
        string id = TestData.NewId("skip8");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();
        byte[] payload = Encoding.UTF8.GetBytes("BROADCAST MESSAGE spam\n");

        await control.WriteAsync(TestData.Concat($"SEND TEXT {id}", [0xFF], $" {payload.Length}\n")).WithTimeout();
        await control.WriteAsync(TestData.Concat("", payload, $"SEND MESSAGE {id} after\n")).WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be("ERR message is not valid UTF-8");
        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 1");
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("after");
    }

    [Test]
    public async Task An_over_long_length_prefixed_line_has_its_payload_skipped_too()
    {
        // SPEC: a line whose first two words name a length-prefixed command and whose last word is a length
        // of at most --max-message has that many bytes read and thrown away, "whatever else is wrong with the
        // line"; a line over --max-message + 256 bytes is one more thing that can be wrong with it (here an id
        // far over 128 characters, as a PHP page might pass on from its user).
        string id = TestData.NewId("long");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();
        string payload = $"BROADCAST MESSAGE spam\nSEND MESSAGE {id} injected\n";
        string longId = new('i', (int)MaxMessage + 300);

        await control.WriteAsync($"SEND TEXT {longId} {Encoding.UTF8.GetByteCount(payload)}\n{payload}SEND MESSAGE {id} after\n").WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be("ERR line too long");
        (await control.ReadLineAsync().WithTimeout()).Should().Be("OK 1", "the payload was skipped, so the next reply is the next line's");
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("after", "nothing in the payload ran");
    }

    [TestCase("SEND TEXT {0} many", "ERR usage: SEND TEXT <id> <length>")]
    [TestCase("SEND BINARY {0}", "ERR usage: SEND BINARY <id> <length>")]
    [TestCase("BROADCAST TEXT -3", "ERR usage: BROADCAST TEXT <length>")]
    [TestCase("SEND TEXT {0} 12 ", "ERR usage: SEND TEXT <id> <length>")]
    [TestCase("SEND BINARY {0} 99999999999999999999", "ERR usage: SEND BINARY <id> <length>")]  // 20 digits: no length
    public async Task A_length_prefixed_line_whose_length_cannot_be_read_is_refused_and_the_connection_closed(string lineFormat, string reply)
    {
        string id = TestData.NewId("nolen");
        await using RawWebSocketClient board = await _relay.ConnectAsync(id);
        using ControlClient control = _relay.OpenControl();

        await control.WriteAsync(string.Format(lineFormat, id) + $"\nBROADCAST MESSAGE spam\nSEND MESSAGE {id} never\n").WithTimeout();

        (await control.ReadLineAsync().WithTimeout()).Should().Be(reply);
        (await control.IsClosedByPeerAsync()).Should().BeTrue("the payload cannot be skipped safely");
        using ControlClient other = _relay.OpenControl();
        (await other.CommandAsync($"SEND MESSAGE {id} later")).Should().Be("OK 1");
        (await board.ReceiveTextAsync().WithTimeout()).Should().Be("later", "nothing after the refused line ran");
    }
}
