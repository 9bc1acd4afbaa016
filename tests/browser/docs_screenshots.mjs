// Makes the screenshots in docs/ (run by hand, not by ctest): the widget mid-conversation — a
// markdown reply with a code block, then a reply still streaming — in the light and the dark
// theme, at devicePixelRatio 2.
//   python3 tests/browser/with_server.py build/server/palaver \
//     --config tests/browser/widget_test.toml --reserve proxy=127.0.0.1 --reserve second=127.0.0.2 \
//     -- node tests/browser/docs_screenshots.mjs docs
import { join } from "node:path";
import { chromium } from "playwright-core";

const out = process.argv[2] || "docs";
const widget = new URL("/widget.html", process.env.PALAVER_URL).href;
const browser = await chromium.launch({
  executablePath: process.env.PALAVER_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"],
});
try {
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({
      viewport: { width: 400, height: 640 },
      deviceScaleFactor: 2,
      colorScheme: scheme,
    });
    const page = await context.newPage();
    await page.goto(`${widget}#title=Ask%20Kestrel&color=%230f766e&theme=auto`);
    await page.locator("html[data-palaver-connection=online]").waitFor({ timeout: 20_000 });
    const input = page.locator("#palaver-input");
    await input.fill("How do I fit the rear light?");
    await input.press("Enter");
    await page.locator("#palaver-log > div[data-role=assistant]").first().waitFor();
    await input.fill("/markdown");
    await input.press("Enter");
    await page.locator("#palaver-log > div[data-role=assistant]").nth(1).waitFor({ timeout: 60_000 });
    await input.fill("/long");
    await input.press("Enter");
    await page.mouse.move(200, 610); // over the input, not over a button
    await page.waitForTimeout(2500); // the reply is streaming
    await page.screenshot({ path: join(out, `widget-${scheme}.png`) });
    await context.close();
  }
} finally {
  await browser.close();
}
