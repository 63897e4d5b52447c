using RawRelay.Cluster;

namespace RawRelay.Tests.Cluster;

/// <summary>--redis's URL: redis://[:password@]host:port[/db], parsed without touching the network.</summary>
[TestFixture]
public sealed class RedisAddressTests
{
    [TestCase("redis://127.0.0.1:6379", "127.0.0.1", 6379, null, 0)]
    [TestCase("redis://localhost", "localhost", 6379, null, 0)]                     // the default port
    [TestCase("redis://redis.internal:6380/3", "redis.internal", 6380, null, 3)]
    [TestCase("redis://:s3cret@10.0.0.5:6379", "10.0.0.5", 6379, "s3cret", 0)]
    [TestCase("redis://:p%40ss%3Aw0rd@h:1/15", "h", 1, "p@ss:w0rd", 15)]           // percent-decoded password
    [TestCase("REDIS://[::1]:7000/2", "::1", 7000, null, 2)]                        // IPv6 in brackets, scheme in any case
    [TestCase("redis://h:6379/", "h", 6379, null, 0)]                               // an empty database is 0
    public void A_valid_url_gives_its_parts(string url, string host, int port, string? password, int database)
    {
        RedisAddress.TryParse(url, out RedisAddress? address, out string error).Should().BeTrue(error);
        address.Should().Be(new RedisAddress(host, port, password, database));
    }

    [TestCase("127.0.0.1:6379", "must start with redis://")]
    [TestCase("rediss://h:6379", "must start with redis://")]
    [TestCase("redis://", "no host")]
    [TestCase("redis://:6379", "no host")]
    [TestCase("redis://h:0", "is not a port")]
    [TestCase("redis://h:65536", "is not a port")]
    [TestCase("redis://h:port", "is not a port")]
    [TestCase("redis://h:6379/16", "is not a database number")]
    [TestCase("redis://h:6379/x", "is not a database number")]
    [TestCase("redis://user:pw@h:6379", "user names are not supported")]
    [TestCase("redis://pw@h:6379", "the password comes after a colon")]
    [TestCase("redis://h:6379?timeout=1", "query parameters are not supported")]
    [TestCase("redis://[::1:6379", "an IPv6 address ends with ]")]
    public void An_invalid_url_says_what_is_wrong(string url, string reason)
    {
        RedisAddress.TryParse(url, out RedisAddress? address, out string error).Should().BeFalse();
        address.Should().BeNull();
        error.Should().Contain(reason);
    }

    [Test]
    public void The_log_shows_no_password()
    {
        RedisAddress.TryParse("redis://:s3cret@h:6379/1", out RedisAddress? address, out _).Should().BeTrue();
        address!.ToString().Should().Be("redis://:***@h:6379/1");
        address.EndPoint.Should().Be("h:6379");
        new RedisAddress("::1", 7000, null, 0).EndPoint.Should().Be("[::1]:7000");
    }
}
