using Microsoft.Playwright;
using Plugboard.Plugins.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Plugboard.Plugins.Tests;

/// <summary>
/// The chat page in a real browser: Debian's Chromium driven by Playwright types into the page served by WebChat and
/// sees the Echo bot's answers (plain and streamed), the history after a reload, and a reset.
/// </summary>
public sealed class BrowserChatTests(SharedChatHost shared) : IClassFixture<SharedChatHost>
{
    /// <summary>Debian's chromium package; Playwright's own browser download is not used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    [Fact]
    public async Task ChatPage_TypeMessages_SeesEchoStreamedReplyHistoryAndReset()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is missing at {ChromiumPath}: the browser test needs Debian's chromium package (`apt-get install chromium`; scripts/test.sh installs it).");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs, Timeout = 60_000 });
        var page = await browser.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Add("page error: " + error);

        await page.GotoAsync(shared.ChatUrl.ToString());
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });

        await page.Locator("#input").FillAsync("hello browser");
        await page.Locator("#input").PressAsync("Enter");
        var answers = page.Locator(".msg.assistant[data-final=true] .body");
        await Expect(answers.Last).ToHaveTextAsync("echo: hello browser", new() { Timeout = 30_000 });
        await Expect(page.Locator(".msg.mine .body").Last).ToHaveTextAsync("hello browser");

        await page.Locator("#input").FillAsync("stream to the browser");
        await page.Locator("#send").ClickAsync();
        await Expect(answers.Last).ToHaveTextAsync("echo: stream to the browser", new() { Timeout = 30_000 });

        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });
        await Expect(page.Locator(".msg")).ToHaveCountAsync(4, new() { Timeout = 30_000 });
        Assert.Equal(["hello browser", "echo: hello browser", "stream to the browser", "echo: stream to the browser"], await page.Locator(".msg .body").AllInnerTextsAsync());

        await page.Locator("#reset").ClickAsync();
        await Expect(page.Locator(".msg")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Expect(page.Locator(".notice").Last).ToHaveTextAsync("The conversation was reset.");
        var errors = console.Where(line => line.StartsWith("page error", StringComparison.Ordinal) || line.StartsWith("error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "The page logged errors:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }
}
