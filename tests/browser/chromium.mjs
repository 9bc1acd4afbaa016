// Debian's Chromium, headless, as every browser test and script here drives it: WebGL on the
// CPU (SwiftShader), and none of the background traffic this machine's closed network refuses.
// PALAVER_CHROMIUM names another binary.
import { chromium } from "playwright-core";

export const chromiumFlags = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--no-proxy-server",
];

export function launchChromium(executablePath = process.env.PALAVER_CHROMIUM || "/usr/bin/chromium") {
  return chromium.launch({ executablePath, args: chromiumFlags });
}
