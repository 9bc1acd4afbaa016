// Checks the embed loader (public/palaver.js, contract in docs/embedding.md) in headless
// Chromium against a running palaver server, with no widget needed: the host pages, a foreign
// frame and a stand-in widget (which follows the widget's side of the contract) are served by
// playwright's routing on made-up origins; palaver.js itself comes from the server.
//
//   build/server/palaver serve --port 0          # prints "palaver listening on http://…/"
//   PALAVER_URL=http://127.0.0.1:PORT/ node tests/browser/loader_test.mjs
//
// playwright-core is found by node's normal resolution from this file (tests/browser/
// node_modules, installed with the browser tests' package.json; by hand, for instance
// `npm install --prefix /tmp/pw playwright-core && ln -s /tmp/pw/node_modules tests/browser/`).
// PALAVER_CHROMIUM names the browser (default /usr/bin/chromium: playwright never downloads
// one). Prints one line per check and exits 0 when all pass, 1 otherwise (2: no PALAVER_URL).
import { request as httpGet } from "node:http";
import { launchChromium } from "./chromium.mjs";

if (!URL.canParse(process.env.PALAVER_URL || "")) {
  console.error("loader_test: set PALAVER_URL to the server's URL, e.g. http://127.0.0.1:8080/");
  process.exit(2);
}
const server = new URL(process.env.PALAVER_URL);
const serverOrigin = server.origin;
const loaderUrl = new URL("/palaver.js", server).href;
// The host page's origin and another frame's. HTTPS, with the local-network-access permission:
// Chromium lets only a secure page it was allowed to reach a loopback server (in production the
// chat server is public and neither is needed).
const shop = "https://shop.test";
const evil = "https://evil.test";
// toolchain.md's headless flags; playwright adds --headless and a fresh --user-data-dir.
let failures = 0;
function check(what, ok, detail = "") {
  if (!ok) failures++;
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : `: ${detail}`}`);
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function checkEqual(what, actual, expected) {
  const detail = `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`;
  check(what, same(actual, expected), detail);
}

// The widget's side of the contract, as docs/embedding.md asks of it: options from the hash,
// messages only from the parent at `host`, posts only to `host`.
const stubWidget = `<!doctype html><title>widget stand-in</title><script>
const host = new URLSearchParams(location.hash.slice(1)).get("host");
window.received = [];
window.readyCount = (window.readyCount || 0) + 1;
let next = 0;
window.say = (m) => parent.postMessage(Object.assign({ palaver: 1 }, m), host);
addEventListener("message", (e) => {
  if (e.origin !== host || e.source !== window.parent || !e.data || e.data.palaver !== 1) return;
  received.push(e.data);
  if (e.data.type !== "send") return;
  for (const [role, text] of [["user", e.data.text], ["assistant", "echo: " + e.data.text]])
    say({ type: "message", message: { id: "msg_" + ++next, role, text, created_at: Date.now() } });
});
say({ type: "ready" });
</script>`;

// A host page: what docs/embedding.md says a strict site needs in its CSP, and nothing more.
function hostPage({ lang, early, tag }) {
  return {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy":
        `default-src 'none'; script-src 'nonce-t' ${serverOrigin}; ` +
        `frame-src ${serverOrigin} ${evil}`,
    },
    body: `<!doctype html><html${lang ? ` lang="${lang}"` : ""}><title>host</title>
<script nonce="t">
  window.violations = [];
  addEventListener("securitypolicyviolation", (e) =>
    violations.push(\`\${e.violatedDirective} \${e.blockedURI} \${e.sourceFile}:\${e.lineNumber}\`));
  window.seen = [];
  addEventListener("message", (e) => seen.push(e.origin));
  window.events = [];
  window.Palaver = window.Palaver || function () { (Palaver.q = Palaver.q || []).push(arguments); };
  ${early}
</script>
${tag}
<p>Host page <button id="other">a host button</button></p>
<iframe src="${evil}/" title="another frame" width="10" height="10"></iframe>`,
  };
}
const recordEvents = `
  Palaver("on", "open", () => events.push("open"));
  Palaver("on", "close", () => events.push("close"));
  Palaver("on", "unread", (n) => events.push("unread " + n));
  Palaver("on", "message", (m) => events.push("message " + m.role + " " + m.text));`;

// Bytes of /palaver.js as the server sends it to a browser that takes gzip.
function gzippedSize() {
  return new Promise((resolve, reject) => {
    httpGet(loaderUrl, { headers: { "Accept-Encoding": "gzip" } }, (res) => {
      let size = 0;
      res.on("data", (chunk) => (size += chunk.length));
      res.on("end", () => resolve({ size, encoding: res.headers["content-encoding"] }));
    }).on("error", reject).end();
  });
}

// Evaluates `expression` in the host page with the loader's host, root, launcher and frame.
const shadow = (page, expression) => page.evaluate(`(() => {
  const host = document.querySelector("palaver-chat");
  const root = host && host.shadowRoot;
  const launcher = root && root.querySelector("button");
  const frame = root && root.querySelector("iframe");
  return ${expression};
})()`);
// What a visitor (and a screen reader) sees of the launcher.
const launcherState = (page) => shadow(page, `({
  expanded: launcher.getAttribute("aria-expanded"),
  label: launcher.getAttribute("aria-label"),
  badge: root.querySelector(".badge").hidden ? null : root.querySelector(".badge").textContent,
  focus: document.activeElement !== host ? "page"
       : root.activeElement === frame ? "frame" : root.activeElement === launcher ? "launcher" : "?",
})`);
const launcher = (page) => page.locator("palaver-chat button");
const panel = (page) => page.locator("palaver-chat iframe");
const widget = (page) => page.frames().find((f) => f.url().startsWith(`${serverOrigin}/widget.html`));
const widgetReceived = (page) => widget(page).evaluate(() => received.map((m) => m.type));
const events = (page) => page.evaluate(() => events);
const frameUrl = async (page) => new URL(await shadow(page, "frame.src"));
const hashOf = (url) => Object.fromEntries(new URLSearchParams(url.hash.slice(1)));
const waitUntil = (page, predicate, what, argument) =>
  page.waitForFunction(predicate, argument, { timeout: 5000 }).then(() => true, () => {
    check(what, false, "timed out");
    return false;
  });

async function setUp(browser, hostResponse) {
  const context = await browser.newContext({
    viewport: { width: 1024, height: 768 },
    permissions: ["local-network-access"],
  });
  const html = (body) => (route) => route.fulfill({ contentType: "text/html", body });
  const onServer = (path) => (url) => url.origin === serverOrigin && url.pathname === path;
  await context.route(onServer("/widget.html"), html(stubWidget));
  await context.route(onServer("/impostor.html"), html("<title>another page of the server</title>"));
  await context.route(`${evil}/**`, html("<p>an ad</p>"));
  await context.route(`${shop}/**`, (route) => route.fulfill(hostResponse));
  const page = await context.newPage();
  page.serverRequests = [];
  page.on("request", (r) => {
    if (r.url().startsWith(serverOrigin)) page.serverRequests.push(new URL(r.url()).pathname);
  });
  page.on("pageerror", (e) => check("no error on the host page", false, e.message));
  await page.goto(`${shop}/`);
  await launcher(page).waitFor();
  return page;
}

// Options, lazy loading, opening and closing, the protocol's checks, keyboard, mobile.
async function mainScenario(browser) {
  const page = await setUp(browser, hostPage({
    lang: "de",
    early: `${recordEvents}\n  Palaver("identify", "header.payload.signature");`,
    tag: `<script src="${loaderUrl}" data-site="shop" data-title="Hilfe &amp; Fragen"
      data-color="#ff8800" data-theme="dark" async></script>`,
  }));
  await page.waitForTimeout(300);
  checkEqual("before the first open: no iframe", await shadow(page, "!!frame"), false);
  checkEqual("before the first open: nothing but palaver.js from the server",
             page.serverRequests, ["/palaver.js"]);
  checkEqual("the launcher is a labelled, collapsed button",
             [await shadow(page, "launcher.tagName + ' ' + launcher.type"), await launcherState(page)],
             ["BUTTON button", { expanded: "false", label: "Hilfe & Fragen", badge: null, focus: "page" }]);
  checkEqual("the launcher is styled under a CSP without 'unsafe-inline' (brand color, dark icon)",
             await shadow(page, "['position', 'backgroundColor', 'color']" +
                                ".map((p) => getComputedStyle(launcher)[p])"),
             ["fixed", "rgb(255, 136, 0)", "rgb(17, 17, 17)"]);
  const box = await launcher(page).boundingBox();
  checkEqual("the launcher sits in the bottom right corner",
             [box.x + box.width, box.y + box.height], [1004, 748]);

  await launcher(page).click();
  await panel(page).waitFor({ state: "visible" });
  const url = await frameUrl(page);
  checkEqual("the iframe is the server's widget.html with only the site in the query",
             [url.origin, url.pathname, url.search], [serverOrigin, "/widget.html", "?site=shop"]);
  checkEqual("the hash carries the options and the host's origin", hashOf(url),
             { title: "Hilfe & Fragen", color: "#ff8800", position: "right", theme: "dark",
               host: shop });
  checkEqual("the iframe's title and permissions; the launcher is expanded",
             [await shadow(page, "[frame.title, frame.getAttribute('allow')]"),
              (await launcherState(page)).expanded],
             [["Hilfe & Fragen", "clipboard-write"], "true"]);
  const open = await panel(page).boundingBox();
  checkEqual("the panel is 380×600, above the launcher",
             [open.width, open.height, open.x + open.width], [380, 600, 1004]);
  await waitUntil(page, () => document.querySelector("palaver-chat").shadowRoot.querySelector(".ready"),
                  "the widget's ready is heard");
  checkEqual("on ready the widget gets the identity queued before load, then the visibility",
             await widgetReceived(page), ["identify", "open"]);
  checkEqual("the token travels by postMessage only",
             await widget(page).evaluate(() => received[0].token), "header.payload.signature");
  checkEqual("focus moved into the iframe", (await launcherState(page)).focus, "frame");

  // Messages the loader must ignore: from another origin's frame, and from another frame of the
  // server's origin (right origin, wrong window). Obeyed, they would close the panel, light the
  // badge and fire events.
  await page.evaluate((src) => new Promise((resolve) => {
    const impostor = Object.assign(document.createElement("iframe"), { src, onload: resolve });
    document.body.append(impostor);
  }), `${serverOrigin}/impostor.html`);
  const forged = [{ palaver: 1, type: "unread", count: 42 }, { palaver: 1, type: "close" },
                  { palaver: 1, type: "message", message: { id: "x", role: "assistant", text: "forged" } }];
  for (const frame of page.frames().filter((f) => /evil\.test|impostor/.test(f.url())))
    await frame.evaluate((all) => all.forEach((m) => parent.postMessage(m, "*")), forged);
  await waitUntil(page, ([a, b]) => seen.filter((o) => o === a).length === 3 &&
                                    seen.filter((o) => o === b).length >= 3,
                  "the forged messages reached the host page", [evil, serverOrigin]);
  checkEqual("messages from a foreign origin or from another window are ignored",
             [await launcherState(page), await events(page)],
             [{ expanded: "true", label: "Hilfe & Fragen", badge: null, focus: "frame" }, ["open"]]);

  await widget(page).evaluate(() => say({ type: "unread", count: 3 }));
  await waitUntil(page, () => events.includes("unread 3"), "the widget's unread count is heard");
  const unread = await launcherState(page);
  checkEqual("the widget's unread count shows on the badge and in the label",
             [unread.badge, unread.label], ["3", "Hilfe & Fragen (3 unread)"]);

  await widget(page).evaluate(() => say({ type: "labels", title: "Hilfe & Fragen",
                                          unread: "{title} ({count} ungelesen)" }));
  await waitUntil(page, () => document.querySelector("palaver-chat").shadowRoot
                    .querySelector("button.launcher").getAttribute("aria-label").includes("ungelesen"),
                  "the widget's labels are heard");
  checkEqual("the widget's labels name the launcher in its language",
             (await launcherState(page)).label, "Hilfe & Fragen (3 ungelesen)");

  await page.evaluate(() => Palaver.send("Hallo"));
  await waitUntil(page, () => events.includes("message assistant echo: Hallo"),
                  "the widget's messages reach on('message')");
  checkEqual("Palaver.send reaches the widget", await widget(page).evaluate(() => received.at(-1)),
             { type: "send", text: "Hallo", palaver: 1 });

  await widget(page).evaluate(() => say({ type: "close" }));
  await panel(page).waitFor({ state: "hidden" });
  const closed = await launcherState(page);
  checkEqual("the widget's close button closes the panel and focus returns to the launcher",
             [closed.expanded, closed.focus], ["false", "launcher"]);
  checkEqual("the widget hears it is closed", (await widgetReceived(page)).at(-1), "close");

  await page.keyboard.press("Enter");
  await panel(page).waitFor({ state: "visible" });
  await launcher(page).focus();
  await page.keyboard.press("Escape");
  await panel(page).waitFor({ state: "hidden" });
  checkEqual("keyboard: Enter on the launcher opens, Escape closes",
             (await widgetReceived(page)).slice(-2), ["open", "close"]);
  checkEqual("the iframe is kept between opens (the widget was not reloaded)",
             [await shadow(page, "root.querySelectorAll('iframe').length"),
              await widget(page).evaluate(() => readyCount)], [1, 1]);
  checkEqual("the page's on() handlers saw every event once", await events(page),
             ["open", "unread 3", "message user Hallo", "message assistant echo: Hallo", "close",
              "open", "close"]);

  await page.setViewportSize({ width: 375, height: 667 });
  await page.emulateMedia({ reducedMotion: "reduce" }); // measure the panel where it ends up
  await page.evaluate(() => Palaver.open());
  await panel(page).waitFor({ state: "visible" });
  const full = await panel(page).boundingBox();
  checkEqual("on a narrow viewport the panel fills it and the launcher steps aside",
             [full.x, full.y, full.width, full.height, await launcher(page).isVisible()],
             [0, 0, 375, 667, false]);
  checkEqual("no CSP violation on the host page", await page.evaluate(() => violations), []);
  await page.context().close();
}

// Calls queued before palaver.js loaded; defaults; the left corner.
async function queuedScenario(browser) {
  const page = await setUp(browser, hostPage({
    early: `${recordEvents}\n  Palaver("send", "queued hello");`,
    tag: `<script src="${loaderUrl}" data-position="left" async></script>`,
  }));
  await panel(page).waitFor({ state: "visible" });
  await waitUntil(page, () => events.length >= 3, "the queued send is answered");
  checkEqual("a send queued before load opens the chat and is delivered after ready",
             [await widgetReceived(page), await widget(page).evaluate(() => received.at(-1).text)],
             [["open", "send"], "queued hello"]);
  checkEqual("the queued on() handlers are live", await events(page),
             ["open", "message user queued hello", "message assistant echo: queued hello"]);
  const url = await frameUrl(page);
  checkEqual("defaults: no site in the query, brand blue, auto theme; no title or language " +
             "(the widget's own word and the visitor's language)",
             [url.search, hashOf(url)],
             ["", { color: "#2563eb", position: "left", theme: "auto", host: shop }]);
  const box = await launcher(page).boundingBox();
  checkEqual("data-position=left puts the launcher in the bottom left corner",
             [box.x, box.y + box.height], [20, 748]);
  checkEqual("window.Palaver is the API, callable both ways",
             await page.evaluate(() => typeof Palaver === "function" &&
               ["open", "close", "toggle", "identify", "send", "on", "off"]
                 .every((m) => typeof Palaver[m] === "function")), true);
  await page.context().close();
}

const timer = setTimeout(() => {
  console.log("not ok - finished within 120 s");
  process.exit(1);
}, 120_000);
const browser = await launchChromium();
try {
  const { size, encoding } = await gzippedSize();
  console.log(`# palaver.js: ${size} bytes as sent with Content-Encoding: ${encoding}`);
  check("palaver.js is at most 5 KB gzipped", encoding === "gzip" && size <= 5 * 1024,
        `${size} bytes, ${encoding}`);
  await mainScenario(browser);
  await queuedScenario(browser);
} catch (e) {
  check("the checks ran to the end", false, e.stack);
} finally {
  await browser.close();
  clearTimeout(timer);
}
console.log(failures ? `# ${failures} failed` : "# all passed");
process.exit(failures ? 1 : 0);
