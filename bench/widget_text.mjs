// The widget's text in the browser, measured (prints figures; not a test): headless Chromium
// (SwiftShader: WebGL on the CPU) against the real server, at devicePixelRatio 1 and 2.
//   - scroll: a 300-message multilingual conversation (150 questions in 14 scripts and their
//     echoed replies) scrolled from the bottom to the top and back, a wheel step at a time;
//     the CPU time of each frame drawn (window.palaverStats.frameMs): p50, p95, max;
//   - new glyphs: one message of 400 CJK ideographs the page has never drawn (after a first
//     CJK message, which has the browser load its CJK font); the longest frame and the sum of
//     frames until it and its echo are on screen (measuring, rasterising, uploading).
//   cmake --build build --target palaver &&
//     python3 tests/browser/with_server.py build/server/palaver \
//       --config bench/widget_text.toml -- node bench/widget_text.mjs
import { launchChromium } from "../tests/browser/chromium.mjs";

const server = new URL(process.env.PALAVER_URL);
const lines = [
  "Tiếng Việt: Xin chào, tôi muốn hỏi về đơn hàng của tôi",
  "Ελληνικά: Καλημέρα, πώς μπορώ να βοηθήσω; Русский: Где мой заказ?",
  "Հայերեն՝ Բարև ձեզ։ ქართული: გამარჯობა, როგორ ხართ?",
  "简体中文：你好，我想查询订单。繁體中文：您好，我想查詢訂單。",
  "日本語：こんにちは、注文について質問があります。",
  "한국어: 안녕하세요, 주문에 대해 문의드립니다.",
  "العربية: مرحبا، أريد تتبع طلبي رقم 12345 من Amazon اليوم.",
  "فارسی: سلام، سفارش من کجاست؟ اردو: میرا آرڈر کہاں ہے؟",
  "עברית: שָׁלוֹם, אֵיפֹה הַהַזְמָנָה שֶׁלִּי?",
  "हिन्दी: नमस्ते, मेरा ऑर्डर कहाँ है? क्षत्रिय श्रद्धा",
  "বাংলা: আমার অর্ডার কোথায়? தமிழ்: என் ஆர்டர் எங்கே?",
  "ไทย: สวัสดีครับ ฉันต้องการติดตามคำสั่งซื้อของฉัน",
  "Emoji 😊 👩‍💻 👨‍👩‍👧 👍🏽 🇯🇵 🇫🇷 1️⃣ ❤️ and **bold** `code`",
  "English: where is my order? It was due on Monday, tracking TRK-12345.",
];

const browser = await launchChromium();

async function open(ratio) {
  const context = await browser.newContext({ viewport: { width: 400, height: 640 },
                                             deviceScaleFactor: ratio });
  const page = await context.newPage();
  await page.goto(new URL("/widget.html#lang=en", server).href);
  await page.locator("html[data-palaver-connection=online]").waitFor({ timeout: 20_000 });
  return page;
}

async function say(page, text, replies) {
  const input = page.locator("#palaver-input");
  await input.fill(text);
  await input.press("Enter");
  await page.locator("#palaver-log > div[data-role=assistant]").nth(replies)
    .waitFor({ timeout: 20_000 });
}

const frame = (page) =>
  page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const ms = (x) => `${x.toFixed(2)} ms`;

try {
  for (const ratio of (process.env.RATIOS || "1,2").split(",").map(Number)) {
    // ---- scrolling 300 messages ----
    const page = await open(ratio);
    for (let i = 0; i < 150; i++) await say(page, `${i}. ${lines[i % lines.length]}`, i);
    await page.mouse.move(200, 300);
    await frame(page);
    await page.waitForTimeout(300);
    await page.evaluate(() => (window.palaverStats.frameMs.length = 0));
    let steps = 0;
    for (const direction of [-1, 1])
      for (let i = 0; i < 120; i++, steps++) {
        await page.mouse.wheel(0, direction * 240);
        await frame(page);
      }
    const times = (await page.evaluate(() => window.palaverStats.frameMs)).slice().sort((a, b) => a - b);
    const messages = await page.locator("#palaver-log > div").count();
    console.log(`dpr ${ratio}: scroll ${messages} messages, ${steps} wheel steps, ` +
                `${times.length} frames: p50 ${ms(percentile(times, 0.5))}, ` +
                `p95 ${ms(percentile(times, 0.95))}, max ${ms(times.at(-1))}`);
    await page.context().close();

    // ---- a screenful of new CJK glyphs ----
    // First a few ideographs: the first CJK text of a page has the browser find and load its
    // CJK font (tens of MB, once per page, as for any page showing CJK); then 400 new ones.
    const fresh = await open(ratio);
    await fresh.mouse.move(200, 300);
    await fresh.waitForTimeout(500);
    const shown = async (text, replies) => {
      await fresh.evaluate(() => (window.palaverStats.frameMs.length = 0));
      await say(fresh, text, replies);
      await fresh.waitForTimeout(500);
      const added = await fresh.evaluate(() => window.palaverStats.frameMs.slice());
      return `longest frame ${ms(Math.max(...added))}, ${added.length} frames in all ` +
             ms(added.reduce((a, b) => a + b, 0));
    };
    console.log(`dpr ${ratio}: first CJK text (你好): ${await shown("你好", 0)}`);
    let ideographs = "";
    for (let k = 0; k < 400; k++) ideographs += String.fromCodePoint(0x4e00 + 37 * k);
    console.log(`dpr ${ratio}: then 400 new CJK glyphs (and the echo of them): ` +
                await shown(ideographs, 1));
    await fresh.context().close();
  }
} finally {
  await browser.close();
}
