// The widget as a visitor uses it, in headless Chromium against the real server: the demo
// page, the launcher, a streamed reply in the screen-reader log, no frames drawn while idle,
// stopping a reply, a connection cut in the middle of a reply, a reload, and the loader embedded on a page of
// another origin (127.0.0.2) under a strict Content-Security-Policy. Each scenario saves a
// screenshot into $PALAVER_SCREENSHOTS.
//
// Run by ctest (browser.widget) through with_server.py, which starts palaver with
// widget_test.toml and reserves two ports this script listens on:
//   PALAVER_URL           the server
//   PALAVER_PROXY_PORT    a TCP proxy on 127.0.0.1 in front of it: the demo page is loaded
//                         through it, so the test can cut the visitor's connections for real
//   PALAVER_SECOND_PORT   a page server on 127.0.0.2: the second origin
// Prints one line per check; exits 0 when all pass, 1 otherwise.
import { mkdirSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";

const server = new URL(process.env.PALAVER_URL);
const proxyPort = Number(process.env.PALAVER_PROXY_PORT);
const secondPort = Number(process.env.PALAVER_SECOND_PORT);
const shots = process.env.PALAVER_SCREENSHOTS || "screenshots";
mkdirSync(shots, { recursive: true });
const chatOrigin = `http://127.0.0.1:${proxyPort}`;
const secondOrigin = `http://127.0.0.2:${secondPort}`;
const WAIT = 20_000; // ms any single wait may take

let failures = 0;
function check(what, ok, detail = "") {
  if (!ok) failures++;
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : `: ${detail}`}`);
}

// ---- the test's own servers ----------------------------------------------------------------

// Forwards every connection to palaver; cut() drops them all, as a network failure would.
const links = new Set();
const proxy = createTcpServer((client) => {
  const upstream = connect(server.port, server.hostname);
  links.add(client).add(upstream);
  const forget = () => {
    client.destroy();
    upstream.destroy();
    links.delete(client);
    links.delete(upstream);
  };
  client.on("error", forget).on("close", forget);
  upstream.on("error", forget).on("close", forget);
  client.pipe(upstream).pipe(client);
});
const cut = () => {
  for (const socket of links) socket.destroy();
};

// A shop page on the second origin, with what docs/embedding.md says a strict site needs.
const secondPage = `<!doctype html><html lang="en"><title>Second shop</title>
<h1>Second shop</h1><p>The chat below comes from ${chatOrigin}.</p>
<script src="${chatOrigin}/palaver.js" data-title="Help" data-color="#7c3aed" async></script>`;
const second = createHttpServer((request, response) => {
  response.writeHead(200, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy":
      `default-src 'none'; script-src ${chatOrigin}; frame-src ${chatOrigin}`,
  });
  response.end(secondPage);
});

await new Promise((done) => proxy.listen(proxyPort, "127.0.0.1", done));
await new Promise((done) => second.listen(secondPort, "127.0.0.2", done));

// ---- driving the widget --------------------------------------------------------------------

const browser = await launchChromium();

// Opens the chat from the launcher of the page at `url`; returns the widget's frame, online.
async function openChat(page, url) {
  await page.goto(url);
  await page.locator("palaver-chat button.launcher").click();
  const frame = page.frameLocator("palaver-chat iframe");
  await frame.locator("html[data-palaver-connection=online]").waitFor({ timeout: WAIT });
  await frame.locator("html[data-palaver-state=ready]").waitFor({ timeout: WAIT });
  return frame;
}

// The screen-reader log: [{role, text}] in order, the prefix line left out.
async function log(frame) {
  return frame.locator("#palaver-log > div").evaluateAll((nodes) =>
    nodes.map((n) => ({
      role: n.dataset.role,
      text: n.textContent.slice(n.textContent.indexOf("\n") + 1),
    })),
  );
}

async function say(frame, text) {
  const input = frame.locator("#palaver-input");
  await input.fill(text);
  await input.press("Enter");
}

// Waits until the log's last reply starts with `prefix`; returns the whole log.
async function replyStarting(frame, prefix) {
  await frame
    .locator("#palaver-log > div[data-role=assistant]")
    .filter({ hasText: prefix })
    .last()
    .waitFor({ timeout: WAIT });
  return log(frame);
}

// The stop button: drawn on the canvas, in the input bar's right-hand corner.
async function pressStop(page) {
  const box = await page.locator("palaver-chat iframe").boundingBox();
  await page.mouse.click(box.x + box.width - 32, box.y + box.height - 32);
}

const shot = (page, name) => page.screenshot({ path: join(shots, `widget-${name}.png`) });
const replies = (entries) => entries.filter((e) => e.role === "assistant");
const words = (n) => Array.from({ length: n }, (_, i) => `word${i + 1}`).join(" ");

try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();

  // 1. The demo page: nothing of the widget loads until the launcher opens it.
  const requested = [];
  page.on("request", (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(chatOrigin + "/");
  check("the demo page loads no widget before the launcher is used",
        !requested.some((p) => p.startsWith("/widget")), requested.join(" "));
  const frame = await openChat(page, chatOrigin + "/");
  await say(frame, "Hello there, how are you?");
  let entries = await replyStarting(frame, "You said: Hello there");
  check("the visitor's message and the streamed reply are in the log, once each",
        JSON.stringify(entries) === JSON.stringify([
          { role: "user", text: "Hello there, how are you?" },
          { role: "assistant", text: "You said: Hello there, how are you?" },
        ]), JSON.stringify(entries));
  await shot(page, "1-demo-reply");
  // Idle costs nothing: with nothing changing, not one frame is drawn.
  await page.mouse.move(5, 5); // off the widget: no hover to settle
  await page.waitForTimeout(500);
  const framesBefore = await frame.locator("html").evaluate(() => window.palaverStats.frames);
  await page.waitForTimeout(2000);
  const framesAfter = await frame.locator("html").evaluate(() => window.palaverStats.frames);
  check("an idle widget draws no frames", framesAfter === framesBefore,
        `${framesAfter - framesBefore} frames in 2 s`);

  // 2. Stop a reply in the middle: it keeps what had streamed, and nothing more comes.
  const repliesBefore = replies(await log(frame)).length;
  await say(frame, "/long");
  await page.waitForTimeout(1500);  // ~30 words at 20 words per second
  await pressStop(page);
  // A streaming reply joins the log when it is done: here, when the stop has taken effect.
  await frame
    .locator("#palaver-log > div[data-role=assistant]")
    .nth(repliesBefore)
    .waitFor({ timeout: WAIT });
  const stopped = replies(await log(frame)).at(-1).text;
  await page.waitForTimeout(1000);
  const later = replies(await log(frame)).at(-1).text;
  check("a stopped reply keeps its start and ends there",
        stopped.length > 20 && stopped.length < 2000 && later === stopped,
        `${stopped.length} chars, then ${later.length}`);
  await shot(page, "2-stopped");

  // 3. Cut the connection while a reply streams: it reconnects, resumes, and the reply is
  // complete and shown once.
  const sentence = words(40);
  const before = replies(await log(frame)).length;
  await say(frame, sentence);
  await page.waitForTimeout(700);
  cut();
  await frame.locator("html:not([data-palaver-connection=online])").waitFor({ timeout: WAIT });
  await frame.locator("html[data-palaver-connection=online]").waitFor({ timeout: WAIT });
  entries = await replyStarting(frame, "You said: word1 ");
  const after = replies(entries);
  check("after a cut mid-reply the reply arrives whole, once",
        after.length === before + 1 && after.at(-1).text === `You said: ${sentence}`,
        JSON.stringify(after.slice(before)));
  check("the message sent before the cut is in the log once",
        entries.filter((e) => e.role === "user" && e.text === sentence).length === 1);
  await shot(page, "3-after-cut");

  // 4. Reload: the conversation is still there.
  const shown = await log(frame);
  const reloaded = await openChat(page, chatOrigin + "/");
  await reloaded.locator("#palaver-log > div").nth(shown.length - 1).waitFor({ timeout: WAIT });
  const history = await log(reloaded);
  check("a reload shows the same conversation",
        JSON.stringify(history) === JSON.stringify(shown),
        `${history.length} entries, want ${shown.length}`);
  await shot(page, "4-reloaded");
  await context.close();

  // 5. Another origin with a strict CSP embeds the loader, and the visitor chats there.
  const strict = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const shop = await strict.newPage();
  const violations = [];
  shop.on("console", (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
  const framed = await openChat(shop, secondOrigin + "/");
  await say(framed, "Do you ship to Norway?");
  entries = await replyStarting(framed, "You said: Do you ship");
  check("on a second origin under a strict CSP the chat works",
        replies(entries).at(-1)?.text === "You said: Do you ship to Norway?",
        JSON.stringify(entries));
  check("the strict CSP reported no violation", violations.length === 0, violations.join(" | "));
  await shot(shop, "5-second-origin");
  await strict.close();
} catch (error) {
  check("the scenario ran to its end", false, error.stack || String(error));
} finally {
  await browser.close();
  cut();
  proxy.close();
  second.close();
}
console.log(failures ? `# ${failures} failed` : "# all passed");
process.exit(failures ? 1 : 0);
