// Makes the screenshots in docs/ (run by hand, not by ctest), at devicePixelRatio 2, in the
// light and the dark theme:
//   widget-{light,dark}.png       the widget mid-conversation: a markdown reply with a code
//                                 block, then a reply still streaming (the echo agent);
//   widget-{ar,ja,hi}-{light,dark}.png
//                                 one conversation in Arabic, Japanese and Hindi, with emoji,
//                                 the widget in that language. The replies (site "lingo") come
//                                 from an OpenAI-compatible server this script runs on
//                                 127.0.0.1 (PALAVER_LLM_PORT), which streams a canned answer
//                                 in the language of the question.
//   python3 tests/browser/with_server.py build/server/palaver \
//     --config tests/browser/docs_screenshots.toml --reserve llm=127.0.0.1 \
//     -- node tests/browser/docs_screenshots.mjs docs
import { createServer } from "node:http";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";

const out = process.argv[2] || "docs";
const widget = (site) =>
  new URL(`/widget.html${site ? `?site=${site}` : ""}`, process.env.PALAVER_URL).href;

const conversations = {
  ar: {
    questions: ["مرحبا! أين طلبي رقم 12345؟ 📦", "شكرا جزيلا 👍🏽"],
    answers: [
      "**بالتأكيد!** 😊 طلبك رقم 12345 في الطريق، وسيصل خلال يومين.\n\n" +
        "- الشحن: مجاني 🚚\n- رقم التتبع: `TRK-12345`",
      "على الرحب والسعة! 🌟 هل يمكنني مساعدتك في شيء آخر؟",
    ],
  },
  ja: {
    questions: ["こんにちは！注文番号12345はどこですか？📦", "ありがとうございます 🙏"],
    answers: [
      "**かしこまりました！** 😊 ご注文（12345）は発送済みで、2日以内にお届けします。\n\n" +
        "- 送料：無料 🚚\n- 追跡番号：`TRK-12345`",
      "どういたしまして！🌸 ほかにご不明な点はございますか？",
    ],
  },
  hi: {
    questions: ["नमस्ते! मेरा ऑर्डर 12345 कहाँ है? 📦", "बहुत धन्यवाद 👍🏽"],
    answers: [
      "**ज़रूर!** 😊 आपका ऑर्डर 12345 भेज दिया गया है और दो दिनों में पहुँच जाएगा।\n\n" +
        "- शिपिंग: मुफ़्त 🚚\n- ट्रैकिंग नंबर: `TRK-12345`",
      "आपका स्वागत है! 🌟 क्या मैं और किसी चीज़ में मदद कर सकता हूँ?",
    ],
  },
};

// The stand-in LLM: Chat Completions with stream=true, the answer to the last question word
// by word.
const llm = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    const messages = JSON.parse(body).messages;
    const question = messages.filter((m) => m.role === "user").pop().content;
    let answer = "I can help with that.";
    for (const c of Object.values(conversations)) {
      const i = c.questions.indexOf(question);
      if (i >= 0) answer = c.answers[i];
    }
    response.writeHead(200, { "Content-Type": "text/event-stream" });
    for (const piece of answer.match(/\s*\S+/g))
      response.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
    response.end("data: [DONE]\n\n");
  });
});
await new Promise((done) => llm.listen(Number(process.env.PALAVER_LLM_PORT), "127.0.0.1", done));

const browser = await launchChromium();

async function page(scheme, site, hash) {
  const context = await browser.newContext({
    viewport: { width: 400, height: 640 },
    deviceScaleFactor: 2,
    colorScheme: scheme,
  });
  const p = await context.newPage();
  await p.goto(`${widget(site)}#${hash}`);
  await p.locator("html[data-palaver-connection=online]").waitFor({ timeout: 20_000 });
  return p;
}

async function ask(p, text, replies) {
  const input = p.locator("#palaver-input");
  await input.fill(text);
  await input.press("Enter");
  await p.locator("#palaver-log > div[data-role=assistant]").nth(replies).waitFor({ timeout: 60_000 });
}

try {
  for (const scheme of ["light", "dark"]) {
    const p = await page(scheme, "", "title=Ask%20Kestrel&color=%230f766e&theme=auto&lang=en");
    await ask(p, "How do I fit the rear light?", 0);
    await ask(p, "/markdown", 1);
    const input = p.locator("#palaver-input");
    await input.fill("/long");
    await input.press("Enter");
    await p.mouse.move(200, 610); // over the input, not over a button
    await p.waitForTimeout(2500); // the reply is streaming
    await p.screenshot({ path: join(out, `widget-${scheme}.png`) });
    await p.context().close();

    for (const [lang, c] of Object.entries(conversations)) {
      const q = await page(scheme, "lingo", `color=%230f766e&theme=auto&lang=${lang}`);
      for (const [i, question] of c.questions.entries()) await ask(q, question, i);
      await q.mouse.move(200, 610);
      await q.waitForTimeout(800);
      await q.screenshot({ path: join(out, `widget-${lang}-${scheme}.png`) });
      await q.context().close();
    }
  }
} finally {
  await browser.close();
  llm.close();
}
