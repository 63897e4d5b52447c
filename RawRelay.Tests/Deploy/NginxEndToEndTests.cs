namespace RawRelay.Tests.Deploy;

/// <summary>
/// The README's deployment with nginx and php-fpm: Debian's nginx runs deploy/nginx-rawrelay.conf and
/// passes PHP to a php-fpm pool whose workers (and so send.php) run as www-data, as Debian's www pool does.
/// </summary>
[TestFixture(false), TestFixture(true), Parallelizable(ParallelScope.Self)]
public sealed class NginxEndToEndTests(bool withSecret) : DeployedSiteTests(withSecret)
{
    private protected override string SiteFile => DeployFiles.NginxSite;

    private protected override string ServerHeader => "nginx";

    private protected override string? MissingReason() => NginxServer.MissingReason();

    private protected override async Task<IWebServer> StartServerAsync(string site, int port) => await NginxServer.StartAsync(site, port);
}
