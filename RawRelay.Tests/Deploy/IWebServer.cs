namespace RawRelay.Tests.Deploy;

/// <summary>
/// A web server of the deployment (Apache, nginx with php-fpm) started by a test on a loopback port in
/// front of the relay. Dispose stops it.
/// </summary>
internal interface IWebServer : IAsyncDisposable
{
    int Port { get; }

    /// <summary>Its output and error logs, for failure messages.</summary>
    string Logs { get; }
}
