using RawRelay.Http;

namespace RawRelay.Tests.Codec;

/// <summary>Query parameters and the percent-decoding of ids (RFC 3986 §2.1, §3.4).</summary>
public sealed class QueryStringTests
{
    [TestCase("id=board1", "board1")]                 // plain
    [TestCase("x=1&id=b&y=2", "b")]                   // among others
    [TestCase("id=a&id=b", "a")]                      // the first one wins
    [TestCase("id=%41%62c", "Abc")]                   // escapes, either case of letter
    [TestCase("id=a%2fb", "a/b")]                     // lowercase hex
    [TestCase("id=a+b", "a+b")]                       // '+' stays '+' (not form encoding)
    [TestCase("id=%C3%A9t%C3%A9", "été")]             // UTF-8 escapes
    [TestCase("id=", "")]                             // empty value (then refused as an id)
    [TestCase("id", "")]                              // no '=' at all
    [TestCase("id=a=b", "a=b")]                       // '=' inside the value
    public void A_parameter_is_found_and_percent_decoded(string query, string expected)
    {
        QueryString.TryGet(query, "id", out string value, out bool malformed).Should().BeTrue();
        malformed.Should().BeFalse();
        value.Should().Be(expected);
    }

    [TestCase("")]                                    // empty query
    [TestCase("ID=x")]                                // names are case-sensitive
    [TestCase("idx=1&xid=2")]                         // only whole names match
    public void An_absent_parameter_is_not_found(string query) =>
        QueryString.TryGet(query, "id", out _, out bool malformed).Should().BeFalse("absent, and malformed is {0}", malformed);

    [TestCase("id=%")]                                // escape cut short
    [TestCase("id=%4")]                               // one hex digit
    [TestCase("id=%zz")]                              // not hex
    [TestCase("id=%FF")]                              // a byte that is not UTF-8
    [TestCase("id=%C3")]                              // a truncated UTF-8 sequence
    [TestCase("id=%ED%A0%80")]                        // an encoded surrogate
    public void A_broken_escape_is_malformed(string query)
    {
        QueryString.TryGet(query, "id", out _, out bool malformed).Should().BeFalse();
        malformed.Should().BeTrue();
    }

    [TestCase("board-1", true)]                       // ordinary
    [TestCase("!~", true)]                            // printable ASCII edges 0x21 and 0x7E
    [TestCase("", false)]                             // empty
    [TestCase("a b", false)]                          // space (%20 decoded)
    [TestCase("a\tb", false)]                         // control character
    [TestCase("été", false)]                          // not ASCII
    public void An_id_is_1_to_128_printable_ascii_characters(string id, bool valid) =>
        ConnectionIds.IsValid(id).Should().Be(valid);

    [Test]
    public void An_id_of_128_characters_is_valid_and_of_129_is_not()
    {
        ConnectionIds.IsValid(new string('x', 128)).Should().BeTrue();
        ConnectionIds.IsValid(new string('x', 129)).Should().BeFalse();
    }
}
