using System.Collections;
using System.CommandLine;
using RawRelay.Cluster;
using RawRelay.Hosting;

namespace RawRelay.Tests.Cluster;

/// <summary>--redis, --node-name and --node-timeout on the command line and in the environment.</summary>
[TestFixture]
public sealed class ClusterOptionsTests
{
    private static (RelayOptions? Options, string Error) Parse(string[] args, IDictionary? environment = null)
    {
        var commandLine = new RelayCommandLine();
        ParseResult parsed = commandLine.Parse(args, environment ?? new Hashtable());
        if (parsed.Errors.Count > 0)
            return (null, parsed.Errors[0].Message);
        return (commandLine.ToOptions(parsed, out string error), error);
    }

    [Test]
    public void Without_redis_the_relay_is_a_single_node()
    {
        RelayOptions options = Parse([]).Options!;
        options.Redis.Should().BeNull();
        options.NodeName.Should().BeNull();
        options.NodeTimeout.Should().Be(15);
    }

    [Test]
    public void Redis_node_name_and_timeout_are_taken()
    {
        RelayOptions options = Parse(["--redis", "redis://:pw@10.0.0.5:6380/2", "--node-name", "web1", "--node-timeout", "2.5"]).Options!;
        options.Redis.Should().Be(new RedisAddress("10.0.0.5", 6380, "pw", 2));
        options.NodeName.Should().Be("web1");
        options.NodeTimeout.Should().Be(2.5);
    }

    [Test]
    public void The_environment_sets_them_too()
    {
        RelayOptions options = Parse([], new Hashtable { ["RAWRELAY_REDIS"] = "redis://r:6379", ["RAWRELAY_NODE_NAME"] = "web2" }).Options!;
        options.Redis!.Host.Should().Be("r");
        options.NodeName.Should().Be("web2");
    }

    [TestCase(new[] { "--redis", "http://r:6379" }, "--redis: 'http://r:6379' must start with redis://")]
    [TestCase(new[] { "--redis", "redis://r:99999" }, "is not a port")]
    [TestCase(new[] { "--node-name", "web1" }, "--node-name and --node-timeout need --redis")]
    [TestCase(new[] { "--node-timeout", "5" }, "--node-name and --node-timeout need --redis")]
    [TestCase(new[] { "--redis", "redis://r", "--node-name", "web 1" }, "--node-name must be")]
    [TestCase(new[] { "--redis", "redis://r", "--node-timeout", "0.1" }, "--node-timeout must be between 0.5 and 3600")]
    public void Nonsense_is_a_usage_error(string[] args, string error)
    {
        (RelayOptions? options, string message) = Parse(args);
        options.Should().BeNull();
        message.Should().Contain(error);
    }
}
