using System.Text;
using RawRelay.Pusher;

namespace RawRelay.Tests.Pusher;

/// <summary>
/// The signatures against the examples of Pusher's own documentation (app key 278d425bdf160c739803, secret
/// 7ad3773142a6692b25b8: "Authorizing users", "HTTP API reference, Worked authentication example"); the same
/// values come out of the official Node SDK <c>pusher</c>.
/// </summary>
[TestFixture]
public sealed class PusherSignaturesTests
{
    private static readonly PusherApp DocsApp = new("3", "278d425bdf160c739803", "7ad3773142a6692b25b8");

    [Test]
    public void Private_channel_auth_is_the_documented_one()
    {
        PusherSignatures.ChannelAuth(DocsApp, "1234.1234", "private-foobar")
            .Should().Be("278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
    }

    [Test]
    public void Presence_channel_auth_covers_the_channel_data()
    {
        const string data = "{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Pusher\"}}";
        const string auth = "278d425bdf160c739803:afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c";
        PusherSignatures.ChannelAuth(DocsApp, "1234.1234", "presence-foobar", data).Should().Be(auth);
        PusherSignatures.IsChannelAuth(DocsApp, auth, "1234.1234", "presence-foobar", data).Should().BeTrue();
        PusherSignatures.IsChannelAuth(DocsApp, auth, "1234.1234", "presence-foobar", data.Replace("10", "11")).Should().BeFalse();
    }

    [TestCase("278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4", "1234.1234", "private-foobar", true)]
    [TestCase("278d425bdf160c739803:58DF8B0C36D6982B82C3ECF6B4662E34FE8C25BBA48F5369F135BF843651C3A4", "1234.1234", "private-foobar", true)] // hex in upper case
    [TestCase("278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4", "1234.1235", "private-foobar", false)] // another socket
    [TestCase("278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4", "1234.1234", "private-foobaz", false)] // another channel
    [TestCase("other-key:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4", "1234.1234", "private-foobar", false)]          // another key
    [TestCase("278d425bdf160c739803:58df8b0c", "1234.1234", "private-foobar", false)]                                                    // cut short
    [TestCase("58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4", "1234.1234", "private-foobar", false)]                // no key
    [TestCase("", "1234.1234", "private-foobar", false)]
    public void A_subscription_auth_is_checked(string auth, string socketId, string channel, bool valid) =>
        PusherSignatures.IsChannelAuth(DocsApp, auth, socketId, channel, null).Should().Be(valid);

    [Test]
    public void An_http_api_request_signature_is_the_documented_one()
    {
        byte[] body = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}"u8.ToArray();
        PusherSignatures.BodyMd5(body).Should().Be("ec365a775a4cd0599faeb73354201b6f");
        var query = new Dictionary<string, string>
        {
            ["auth_key"] = "278d425bdf160c739803", ["auth_timestamp"] = "1353088179", ["auth_version"] = "1.0",
            ["body_md5"] = "ec365a775a4cd0599faeb73354201b6f",
        };
        string signed = PusherSignatures.RequestSigned("POST", "/apps/3/events", query);
        signed.Should().Be("POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f");
        PusherSignatures.Sign(DocsApp.Secret, signed).Should().Be("da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");

        query["auth_signature"] = "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", query, body, 1353088179 + 30).Should().BeNull();
    }

    private static Dictionary<string, string> SignedQuery(string method, string path, byte[] body, long timestamp, string secret = "7ad3773142a6692b25b8")
    {
        var query = new Dictionary<string, string>
        {
            ["auth_key"] = DocsApp.Key, ["auth_timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["auth_version"] = "1.0",
        };
        if (body.Length > 0)
            query["body_md5"] = PusherSignatures.BodyMd5(body);
        query["auth_signature"] = PusherSignatures.Sign(secret, PusherSignatures.RequestSigned(method, path, query));
        return query;
    }

    [Test]
    public void A_request_is_refused_for_each_thing_wrong_with_it()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"name\":\"e\",\"channel\":\"c\",\"data\":\"x\"}");
        const long now = 1_800_000_000;
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now), body, now).Should().BeNull();

        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now, "wrong"), body, now)
            .Should().Be("invalid auth_signature");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now - 601), body, now)
            .Should().StartWith("auth_timestamp expired");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now + 601), body, now)
            .Should().StartWith("auth_timestamp expired");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now - 600), body, now)
            .Should().BeNull("600 s is within the window");
        byte[] changed = Encoding.UTF8.GetBytes("{\"name\":\"e\",\"channel\":\"d\",\"data\":\"x\"}");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now), changed, now)
            .Should().Be("body_md5 does not match the body");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/batch_events", SignedQuery("POST", "/apps/3/events", body, now), body, now)
            .Should().Be("invalid auth_signature", "the path is signed");
        PusherRequestAuth.Refusal(DocsApp, "GET", "/apps/3/events", SignedQuery("POST", "/apps/3/events", body, now), body, now)
            .Should().Be("invalid auth_signature", "the method is signed");
        Dictionary<string, string> noKey = SignedQuery("POST", "/apps/3/events", body, now);
        noKey.Remove("auth_key");
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", noKey, body, now).Should().Be("unknown auth_key");
        Dictionary<string, string> version = SignedQuery("POST", "/apps/3/events", body, now);
        version["auth_version"] = "2.0";
        PusherRequestAuth.Refusal(DocsApp, "POST", "/apps/3/events", version, body, now).Should().Be("auth_version must be 1.0");
        Dictionary<string, string> extra = SignedQuery("GET", "/apps/3/channels", [], now);
        extra["filter_by_prefix"] = "presence-";
        PusherRequestAuth.Refusal(DocsApp, "GET", "/apps/3/channels", extra, [], now).Should().Be("invalid auth_signature", "every parameter is signed");
        PusherRequestAuth.Refusal(DocsApp, "GET", "/apps/3/channels", null, [], now).Should().Be("malformed query string");
    }

    [TestCase("a=1&b=2", "a=1|b=2")]
    [TestCase("info=user_count,subscription_count&x=%2Fy", "info=user_count,subscription_count|x=/y")]
    [TestCase("a=1+2", "a=1 2")]
    [TestCase("flag", "flag=")]
    [TestCase("", "")]
    public void The_query_is_decoded(string query, string expected) =>
        string.Join('|', PusherRequestAuth.ParseQuery(query)!.Select(p => p.Key + "=" + p.Value)).Should().Be(expected);

    [TestCase("a=1&a=2")]   // repeated: which one was signed?
    [TestCase("a=%zz")]     // a bad escape
    public void A_malformed_query_is_refused(string query) => PusherRequestAuth.ParseQuery(query).Should().BeNull();

    [TestCase("app:key:secret", true)]
    [TestCase("1234:a1b2c3:s3cr3t-_.", true)]
    [TestCase("app:key", false)]
    [TestCase("app:key:secret:more", false)]
    [TestCase("app::secret", false)]
    [TestCase("app:k y:secret", false)]
    public void The_app_option_is_parsed(string text, bool valid) => (PusherApp.Parse(text) is not null).Should().Be(valid);
}
