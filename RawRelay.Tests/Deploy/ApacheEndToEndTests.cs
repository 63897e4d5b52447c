namespace RawRelay.Tests.Deploy;

/// <summary>
/// The README's deployment on a LAMP box: Debian's Apache (prefork, mod_php, mod_proxy_wstunnel) runs
/// deploy/apache-rawrelay.conf, its workers (and so send.php) as Debian's Apache user.
/// </summary>
[TestFixture(false), TestFixture(true), Parallelizable(ParallelScope.Self)]
public sealed class ApacheEndToEndTests(bool withSecret) : DeployedSiteTests(withSecret)
{
    private protected override string SiteFile => DeployFiles.ApacheSite;

    private protected override string ServerHeader => "Apache";

    private protected override string? MissingReason() => ApacheServer.MissingReason();

    private protected override async Task<IWebServer> StartServerAsync(string site, int port) => await ApacheServer.StartAsync(site, port);
}
