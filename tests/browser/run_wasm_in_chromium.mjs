// Runs an Emscripten program built with -sENVIRONMENT=web in headless Chromium, as if it were
// a command:  node run_wasm_in_chromium.mjs [--timeout=SECONDS] [--browser=PATH] <dir>/<x>.js [args]
// Serves <dir> and harness.html over HTTP on 127.0.0.1 (ephemeral port), writes the program's
// stdout and stderr byte for byte to its own, and exits with the program's status (124 when
// it runs out of time). The browser and the server are closed on every path.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";

const me = "run_wasm_in_chromium";
const harness = path.join(path.dirname(fileURLToPath(import.meta.url)), "harness.html");
const mimeTypes = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm", // what instantiateStreaming insists on
  ".data": "application/octet-stream",
};
// toolchain.md's headless flags; playwright adds --headless and a fresh --user-data-dir.
function fail(message) {
  process.stderr.write(`${me}: ${message}\n`);
}

function parseArguments(argv) {
  const options = { timeoutSeconds: 120, browser: "/usr/bin/chromium" };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith("--"); ++i) {
    const [name, value] = argv[i].split(/=(.*)/s);
    if (name === "--timeout" && Number(value) > 0) options.timeoutSeconds = Number(value);
    else if (name === "--browser" && value) options.browser = value;
    else return null;
  }
  if (i === argv.length || !argv[i].endsWith(".js")) return null;
  options.program = path.resolve(argv[i]);
  options.programArguments = argv.slice(i + 1);
  return options;
}

// Settles as `promise` does, or resolves to `fallback` after `ms`; the timer never outlives it.
function within(promise, ms, fallback) {
  let timer;
  const expired = new Promise((resolve) => (timer = setTimeout(resolve, ms, fallback)));
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

// Serves harness.html and the files of `root`, nothing above it, to 127.0.0.1 only.
async function startServer(root) {
  const server = createServer(async (request, response) => {
    try {
      const urlPath = decodeURIComponent(new URL(request.url, "http://x").pathname);
      const file = urlPath === "/harness.html" ? harness : path.join(root, urlPath);
      const inside = file === harness || !path.relative(root, file).startsWith("..");
      if (request.method !== "GET" || !inside) throw new Error("refused");
      const body = await readFile(file);
      response.writeHead(200, {
        "Content-Type": mimeTypes[path.extname(file)] ?? "application/octet-stream",
        "Cache-Control": "no-store",
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return server;
}

// Loads the program in `page` and resolves to its exit status once it ends.
async function runProgram(page, url) {
  let expectedChunk = 0;
  let outputBroken = "";
  let settle;
  const ended = new Promise((resolve) => (settle = resolve));
  // The harness numbers its chunks: a lost or reordered one fails the run, never the diff.
  await page.exposeFunction("palaverWrite", (sequence, fd, chunk) => {
    if (sequence !== expectedChunk++) outputBroken ||= `output chunk ${sequence} out of order`;
    (fd === 2 ? process.stderr : process.stdout).write(Buffer.from(chunk, "latin1"));
  });
  await page.exposeFunction("palaverExit", (status, reason, chunks) => {
    if (chunks !== expectedChunk) outputBroken ||= `${chunks - expectedChunk} output chunks lost`;
    settle({ status, reason });
  });
  page.on("crash", () => settle({ status: 1, reason: "the page crashed" }));
  page.on("console", (message) => {
    if (["error", "warning"].includes(message.type())) {
      process.stderr.write(`chromium console ${message.type()}: ${message.text()}\n`);
    }
  });
  await page.goto(url);
  const { status, reason } = await ended;
  if (outputBroken) return { status: status || 1, reason: outputBroken };
  return { status, reason };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (!options) {
    fail("usage: run_wasm_in_chromium.mjs [--timeout=SECONDS] [--browser=PATH] <program.js> [args...]");
    return 2;
  }
  const root = path.dirname(options.program);
  const query = new URLSearchParams({ program: path.basename(options.program) });
  for (const argument of options.programArguments) query.append("arg", argument);

  let server;
  let browser;
  const run = (async () => {
    server = await startServer(root);
    browser = await launchChromium(options.browser);
    const page = await browser.newPage();
    const { port } = server.address();
    return runProgram(page, `http://127.0.0.1:${port}/harness.html?${query}`);
  })();
  run.catch(() => {}); // once the deadline has won, closing the browser may still reject it
  let result;
  try {
    const timedOut = { status: 124, reason: `no exit after ${options.timeoutSeconds} s` };
    result = await within(run, options.timeoutSeconds * 1000, timedOut);
  } catch (error) {
    result = { status: 1, reason: String(error?.message ?? error) };
  } finally {
    // A browser that does not close in time is killed by playwright when this process exits.
    await within(browser?.close(), 10000);
    server?.closeAllConnections();
    server?.close();
  }
  if (result.status !== 0 || result.reason) {
    fail(`${path.basename(options.program)} exited with status ${result.status}` +
         (result.reason ? `: ${result.reason}` : ""));
  }
  if (result.status === 0) return result.reason ? 1 : 0;
  return Number.isInteger(result.status) && result.status > 0 && result.status < 256 ? result.status : 1;
}

process.exitCode = await main();
// Whatever might still hold the event loop (a hung browser) must not outlive the run.
setTimeout(() => process.exit(), 5000).unref();
