using Microsoft.Playwright;

namespace RawRelay.Tests.Browser;

/// <summary>
/// Debian's /usr/bin/chromium, headless, driven by Playwright with a fresh profile (its own browser
/// downloads are never used). Dispose closes it and deletes the profile. Pages are thread-safe to open.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    private const string Executable = "/usr/bin/chromium";
    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly string _profile;

    private HeadlessChromium(IPlaywright playwright, IBrowserContext context, string profile)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
    }

    /// <summary>Ignores the test when Chromium is not installed (CI installs it).</summary>
    public static void RequireInstalled()
    {
        if (!File.Exists(Executable))
            Assert.Ignore($"{Executable} is not installed (apt-get install chromium); CI installs it");
    }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        IPlaywright playwright = await Playwright.CreateAsync();
        string profile = Directory.CreateTempSubdirectory("rr-chromium-").FullName; // a fresh profile every run
        try
        {
            IBrowserContext context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = Flags,
                ViewportSize = new ViewportSize { Width = 900, Height = 600 },
            });
            context.SetDefaultTimeout(20_000);
            return new HeadlessChromium(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    public Task<IPage> NewPageAsync() => _context.NewPageAsync();

    /// <summary>
    /// From now on, every request for a <c>.php</c> page of any origin is answered by the PHP server at
    /// <paramref name="phpBaseUrl"/> (same path and query, method, headers and body), so the relay's
    /// pages reach PHP on their own host, as behind Apache or nginx, where one site serves both.
    /// </summary>
    public Task SendPhpRequestsToAsync(string phpBaseUrl) =>
        _context.RouteAsync(PhpPage(), async route => await route.FulfillAsync(new() { Response = await FetchFromAsync(route, phpBaseUrl) }));

    /// <summary>What the server at <paramref name="baseUrl"/> answers to the route's request (same path and query, method, headers and body).</summary>
    public static Task<IAPIResponse> FetchFromAsync(IRoute route, string baseUrl) =>
        route.FetchAsync(new() { Url = baseUrl + new Uri(route.Request.Url).PathAndQuery });

    [System.Text.RegularExpressions.GeneratedRegex(@"^https?://[^/]+/[^?#]*\.php([?#].*)?$")]
    private static partial System.Text.RegularExpressions.Regex PhpPage();

    /// <summary>A full-page screenshot attached to the test's results.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, string description)
    {
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, description);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        _playwright.Dispose();
        Directory.Delete(_profile, recursive: true);
    }
}
