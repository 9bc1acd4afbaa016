// The widget in every visitor's language, in headless Chromium against the real server (the
// machine's fonts: Debian's Noto, as a visitor's own system would have them):
//   - a multilingual conversation (every script of docs/embedding.md §Languages, emoji
//     sequences, markdown, an operator's name, the title, the conversation list) is drawn with
//     no missing glyph (window.palaverStats.missingGlyphs), and a code point no font has is
//     counted, so the count is real;
//   - a right-to-left language mirrors the panel: the visitor's bubble on the left, the text
//     field right of the send button, <html dir="rtl">;
//   - data-lang="fr" shows the French catalogue in the log and in every accessible name, and
//     with no data-lang the browser's language (ja) is chosen.
// Saves screenshots into $PALAVER_SCREENSHOTS. Prints one line per check; exits 0 when all pass.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";

const server = new URL(process.env.PALAVER_URL);
const apiKey = process.env.PALAVER_TEST_API_KEY;
const shots = process.env.PALAVER_SCREENSHOTS || "screenshots";
mkdirSync(shots, { recursive: true });
const WAIT = 20_000; // ms any single wait may take

let failures = 0;
function check(what, ok, detail = "") {
  if (!ok) failures++;
  console.log(`${ok ? "ok" : "not ok"} - ${what}${ok || !detail ? "" : `: ${detail}`}`);
}

// One message per script family; the last one is markdown, which the echo agent's reply
// ("You said: …") renders.
const corpus = [
  "Tiếng Việt: Xin chào, tôi muốn hỏi về đơn hàng ệ ở ữ ự; e\u0301 a\u0308 n\u0303 o\u0323\u0302",
  "Ελληνικά: Καλημέρα, πώς μπορώ να βοηθήσω; Русский: Здравствуйте! Где мой заказ? Українська: Дякую",
  "Հայերեն՝ Բարև ձեզ։ ქართული: გამარჯობა, როგორ ხართ?",
  "简体中文：你好，我想查询订单。繁體中文：您好，我想查詢訂單。",
  "日本語：こんにちは、注文について質問があります。カタカナとひらがな、漢字。",
  "한국어: 안녕하세요, 주문에 대해 문의드립니다.",
  "العربية: مرحبا، أريد تتبع طلبي رقم 12345 من Amazon اليوم.",
  "فارسی: سلام، سفارش من کجاست؟ اردو: میرا آرڈر کہاں ہے؟",
  "עברית: שָׁלוֹם עוֹלָם, אֵיפֹה הַהַזְמָנָה שֶׁלִּי?",
  "हिन्दी: नमस्ते, मेरा ऑर्डर कहाँ है? क्षत्रिय श्रद्धा",
  "বাংলা: আমার অর্ডার কোথায়? தமிழ்: என் ஆர்டர் எங்கே?",
  "ไทย: สวัสดีครับ ฉันต้องการติดตามคำสั่งซื้อของฉัน",
  "Emoji 😊 👩‍💻 👨‍👩‍👧 👍🏽 🇯🇵 🇫🇷 1️⃣ #️⃣ ❤️",
  "**粗体 जोरदार عريض** and `代码 コード` with *italic ελληνικά*\n\n" +
    "- 列表 項目 👍🏽\n- قائمة עם רשימה\n\n| 表 | جدول |\n|---|---|\n| 한국어 | ไทย |",
];
const operatorNames = ["Ana María 👩‍💻", "محمد", "田中 さくら", "अनीता"];
const title = "Ayuda · 帮助 · مساعدة · 🛟";

const browser = await launchChromium();

// The widget page alone (no loader), with the loader's hash parameters `params`.
async function openWidget(context, params) {
  const page = await context.newPage();
  await page.goto(`${new URL("/widget.html", server)}#${new URLSearchParams(params)}`);
  await page.locator("html[data-palaver-state=ready]").waitFor({ timeout: WAIT });
  await page.locator("html[data-palaver-connection=online]").waitFor({ timeout: WAIT });
  return page;
}

async function say(page, text) {
  const replies = await page.locator("#palaver-log > div[data-role=assistant]").count();
  const input = page.locator("#palaver-input");
  await input.fill(text);
  await input.press("Enter");
  await page
    .locator("#palaver-log > div[data-role=assistant]")
    .nth(replies)
    .waitFor({ timeout: WAIT });
}

// The widget's counters, once it has checked every piece it drew for missing glyphs (it does
// so off the frame, soon after).
async function stats(page) {
  await page.waitForFunction(() => !window.palaverStats.glyphChecksPending, null, { timeout: WAIT });
  return page.evaluate(() => ({ ...window.palaverStats }));
}

// Lets the widget draw what changed (it draws on demand, in animation frames).
async function settle(page) {
  await page.waitForTimeout(150);
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
}

// Scrolls the message list from its top to its bottom, a screenful at a time, so that every
// message is drawn once.
async function scrollThrough(page) {
  const { width, height } = page.viewportSize();
  await page.mouse.move(width / 2, height / 2);
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -2000);
  await settle(page);
  for (let i = 0; i < 40; i++) {
    await page.mouse.wheel(0, height / 2);
    await settle(page);
  }
}

// Where `color` ([r, g, b]) is on the page's screenshot: the mean x of the pixels within
// `tolerance` of it in the rows [top, bottom), or NaN when there are none.
async function meanX(page, color, top, bottom, tolerance = 12) {
  const png = (await page.screenshot()).toString("base64");
  return page.evaluate(
    async ({ png, color, top, bottom, tolerance }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${png}`;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(image, 0, 0);
      const data = ctx.getImageData(0, top, image.width, bottom - top).data;
      let sum = 0, count = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near = [0, 1, 2].every((c) => Math.abs(data[i + c] - color[c]) <= tolerance);
        if (near) {
          sum += (i / 4) % image.width;
          count++;
        }
      }
      return count ? sum / count : NaN;
    },
    { png, color, top, bottom, tolerance },
  );
}

try {
  // ---- every script, no missing glyph -----------------------------------------------------
  {
    const context = await browser.newContext({ viewport: { width: 400, height: 640 } });
    const page = await openWidget(context, { lang: "en", title });
    for (const text of corpus) await say(page, text);
    const conversation = await page.evaluate(() => localStorage.getItem("palaver.conversation."));
    for (const [i, author] of operatorNames.entries()) {
      const response = await fetch(
        new URL(`/api/v1/conversations/${conversation}/messages`, server),
        {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({ client_msg_id: `op-${i}`, text: `${author} ✅ مرحبا 你好`, author }),
        },
      );
      check(`operator message from ${author} is accepted`, response.status === 201,
            `HTTP ${response.status}`);
    }
    await page.locator("#palaver-log > div[data-role=operator]").nth(operatorNames.length - 1)
      .waitFor({ timeout: WAIT });
    await scrollThrough(page);
    await page.screenshot({ path: join(shots, "i18n-corpus.png") });
    // The conversation list (the header's menu button), with the conversation's title.
    await page.mouse.click(27, 23);
    await settle(page);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, "i18n-list.png") });
    await page.mouse.click(27, 23);
    await settle(page);

    const drawn = await stats(page);
    check("every character of the corpus is drawn (no missing glyph)", drawn.missingGlyphs === 0,
          `${drawn.missingGlyphs} missing: U+${drawn.missingCodepoints.join(" U+")}`);
    check("the widget drew frames", drawn.frames > 0);

    // A code point no font has is counted: the count above can fail.
    await say(page, "unassigned \u0378 here");
    await settle(page);
    const after = await stats(page);
    check("a code point no font has counts as missing",
          after.missingGlyphs >= 1 && after.missingCodepoints.includes("378"),
          JSON.stringify(after.missingCodepoints));
    await context.close();
  }

  // ---- right to left ---------------------------------------------------------------------
  const brand = [0x25, 0x63, 0xeb]; // the default brand colour, the visitor's bubbles
  const sides = {};
  for (const lang of ["en", "ar"]) {
    const context = await browser.newContext({ viewport: { width: 400, height: 640 } });
    const page = await openWidget(context, { lang });
    await say(page, "مرحبا 😊 hello 123");
    await settle(page);
    await page.mouse.move(200, 300);
    await settle(page);
    // The bubbles' rows: under the header (56 px), above the input bar (64 px).
    const bubble = await meanX(page, brand, 70, 640 - 80);
    const field = await page.locator("#palaver-input").boundingBox();
    const dir = await page.evaluate(() => document.documentElement.dir);
    sides[lang] = { bubble, field, dir };
    await page.screenshot({ path: join(shots, `i18n-rtl-${lang}.png`) });
    await context.close();
  }
  check("left to right: the visitor's bubble is on the right", sides.en.bubble > 200,
        `mean x ${sides.en.bubble}`);
  check("right to left: the visitor's bubble is on the left", sides.ar.bubble < 200,
        `mean x ${sides.ar.bubble}`);
  check("right to left: the text field starts right of the send button",
        sides.ar.field.x > sides.en.field.x + 20 &&
          Math.abs(sides.ar.field.x + sides.ar.field.width -
                   (400 - sides.en.field.x)) < 2,
        JSON.stringify(sides));
  check("right to left: <html dir=rtl>, left to right: ltr",
        sides.ar.dir === "rtl" && sides.en.dir === "ltr", JSON.stringify(sides));

  // ---- the widget's own words --------------------------------------------------------------
  const catalogue = async (tag) => (await fetch(new URL(`/i18n/${tag}.json`, server))).json();
  const [fr, ja, en] = await Promise.all(["fr", "ja", "en"].map(catalogue));
  {
    const context = await browser.newContext({ viewport: { width: 400, height: 640 } });
    const page = await openWidget(context, { lang: "fr" });
    await say(page, "Bonjour");
    const names = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      input: document.getElementById("palaver-input").getAttribute("aria-label"),
      placeholder: document.getElementById("palaver-input").placeholder,
      canvas: document.getElementById("palaver-canvas").getAttribute("aria-label"),
      log: document.getElementById("palaver-log").getAttribute("aria-label"),
      title: document.title,
      you: document.querySelector("#palaver-log > div[data-role=user]").textContent,
      reply: document.querySelector("#palaver-log > div[data-role=assistant]").textContent,
    }));
    const expected = {
      lang: "fr",
      input: fr.input_label,
      placeholder: fr.input_placeholder,
      canvas: fr.canvas_label,
      log: fr.log_label,
      title: fr.title,
    };
    const translated = Object.keys(en).filter((key) => fr[key] !== en[key]).length;
    check("the French catalogue is French (most strings differ from English)",
          translated > Object.keys(en).length / 2, `${translated} differ`);
    for (const [key, value] of Object.entries(expected))
      check(`data-lang=fr: ${key} is the catalogue's`, names[key] === value,
            `${JSON.stringify(names[key])} ≠ ${JSON.stringify(value)}`);
    check("data-lang=fr: the log says who wrote in French",
          names.you.startsWith(`${fr.log_you}\n`) && names.reply.startsWith(`${fr.log_assistant}\n`),
          JSON.stringify([names.you, names.reply]));
    await page.screenshot({ path: join(shots, "i18n-fr.png") });
    await context.close();
  }
  {
    const context = await browser.newContext({ viewport: { width: 400, height: 640 }, locale: "ja-JP" });
    const page = await openWidget(context, {});
    const names = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      input: document.getElementById("palaver-input").getAttribute("aria-label"),
    }));
    check("no data-lang: the browser's language (ja-JP → ja)",
          names.lang === "ja" && names.input === ja.input_label, JSON.stringify(names));
    await context.close();
  }
} catch (error) {
  check("the scenario ran to its end", false, error.stack || String(error));
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
