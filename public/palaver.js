/* Palaver embed loader: a launcher button (in a shadow root) and, from the first open on, the
   chat iframe /widget.html of the server that served this script. The contract (options, JS
   API, postMessage protocol) is docs/embedding.md. Hand-written, no dependencies, no build
   step; budget 5 KB gzipped. It posts only to the server's origin and accepts messages only
   from that origin and from its own iframe. */
(function (w, d) {
  "use strict";
  const early = w.Palaver; // the queue of calls made before this script ran, if any
  if (early && early.loaded) return; // the tag is on the page twice

  // Our own <script>: currentScript, or else the last tag whose src is palaver.js.
  let me = d.currentScript;
  if (!me || !me.src) {
    me = [].filter.call(d.scripts, (s) => /\/palaver\.js([?#]|$)/.test(s.src)).pop();
    if (!me) return console.error("Palaver: cannot find its <script> tag");
  }
  const data = me.dataset;
  const origin = new URL(me.src, location.href).origin;
  const site = data.site || "";
  const options = {
    title: data.title || "", // none: the widget's own word, in the visitor's language
    color: /^#([0-9a-f]{3}){1,2}$/i.test(data.color) ? data.color : "#2563eb",
    position: data.position === "left" ? "left" : "right",
    theme: /^(light|dark)$/.test(data.theme) ? data.theme : "auto",
    lang: data.lang || "", // none: the visitor's browser decides
    greeting: data.greeting || "",
    placeholder: data.placeholder || "",
    host: location.origin,
  };

  // White or near-black icons, whichever reads better on the brand color.
  const hex = options.color.slice(1).replace(/^(.)(.)(.)$/, "$1$1$2$2$3$3");
  const rgb = parseInt(hex, 16);
  const light = (rgb >> 16) * 0.299 + ((rgb >> 8) & 255) * 0.587 + (rgb & 255) * 0.114 > 150;
  const side = options.position;
  const dark = "background:#1f1f1f";
  // Adopted by the shadow root, not a <style> element: a host page whose CSP has no
  // 'unsafe-inline' in style-src still shows the launcher.
  const css =
    `:host{all:initial}
.launcher{position:fixed;bottom:20px;${side}:20px;z-index:2147483647;width:56px;height:56px;
padding:0;border:0;border-radius:50%;cursor:pointer;display:flex;align-items:center;
justify-content:center;background:${options.color};color:${light ? "#111" : "#fff"};
box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher:focus-visible{outline:3px solid ${options.color};outline-offset:3px;
box-shadow:0 0 0 3px #fff}
svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;
stroke-linejoin:round}
.badge{position:absolute;top:-4px;${side === "left" ? "left" : "right"}:-4px;min-width:20px;
height:20px;padding:0 6px;box-sizing:border-box;border-radius:10px;background:#d92d20;color:#fff;
font:600 12px/20px system-ui,sans-serif;text-align:center}
.badge[hidden]{display:none}
.panel{position:fixed;bottom:88px;${side}:20px;z-index:2147483646;width:380px;height:600px;
max-width:calc(100% - 40px);max-height:calc(100% - 108px);border:0;border-radius:12px;
box-shadow:0 8px 32px rgba(0,0,0,.3);background:#fff;visibility:hidden;opacity:0;
transform:translateY(12px);transition:opacity .2s,transform .2s,visibility 0s .2s}
.panel.open{visibility:visible;opacity:1;transform:none;transition:opacity .2s,transform .2s}
@media (max-width:480px){.panel{inset:0;width:100%;height:100%;max-width:none;max-height:none;
border-radius:0}.ready.open~.launcher{display:none}}
@media (prefers-reduced-motion:reduce){.panel,.panel.open{transition:none}}` +
    (options.theme === "dark" ? `.panel{${dark}}` : "") +
    (options.theme === "auto" ? `@media (prefers-color-scheme:dark){.panel{${dark}}}` : "");

  const BUBBLE = "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-5A8 8 0 1 1 21 12z";
  const CROSS = "M6 6l12 12M18 6L6 18";
  let frame = null; // the iframe, from the first open on: kept, so the conversation stays live
  let ready = false; // the widget said `ready`: it listens
  let open = false;
  let token = ""; // the last identify(): sent again on every `ready`
  let unread = 0;
  let labels = {}; // the widget's `labels`: its title and unread label in the visitor's language
  const pending = []; // send()s waiting for `ready`
  const handlers = {};

  const host = d.createElement("palaver-chat");
  const root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && CSSStyleSheet.prototype.replaceSync) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(d.createElement("style")).textContent = css;
  }
  const launcher = d.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  const svgNS = "http://www.w3.org/2000/svg";
  const icon = d.createElementNS(svgNS, "svg");
  const path = icon.appendChild(d.createElementNS(svgNS, "path"));
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  const badge = d.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true"); // the count is in the button's label
  launcher.append(icon, badge);
  launcher.onclick = () => toggle();
  // Escape on the launcher; inside the iframe the widget posts `close` itself.
  root.addEventListener("keydown", (e) => e.key === "Escape" && open && close());
  root.appendChild(launcher);
  (d.body || d.documentElement).appendChild(host);

  function render() {
    path.setAttribute("d", open ? CROSS : BUBBLE);
    launcher.setAttribute("aria-expanded", open);
    // The widget's words once it has said them (`labels`), in the visitor's language.
    const title = labels.title || options.title || "Chat";
    launcher.setAttribute("aria-label", unread
      ? (labels.unread || "{title} ({count} unread)").replace("{title}", title).replace("{count}", unread)
      : title);
    if (frame) frame.title = title;
    launcher.classList.toggle("open", open);
    if (frame) frame.className = "panel" + (open ? " open" : "") + (ready ? " ready" : "");
  }

  function emit(name, value) {
    for (const fn of (handlers[name] || []).slice()) {
      try {
        fn(value);
      } catch (e) {
        setTimeout(() => {
          throw e; // reported, without stopping the other handlers or the loader
        });
      }
    }
  }

  // To the widget once it is ready; before that, kept only when `keep` (send) and dropped
  // otherwise: visibility and identity are state, sent afresh on `ready`.
  function post(message, keep) {
    message.palaver = 1;
    if (ready) frame.contentWindow.postMessage(message, origin);
    else if (keep) pending.push(message);
  }

  function show() {
    if (!frame) {
      frame = d.createElement("iframe");
      frame.id = "panel";
      frame.title = options.title || "Chat";
      frame.setAttribute("allow", "clipboard-write");
      frame.referrerPolicy = "origin"; // the host page's path is none of the server's business
      const hash = Object.keys(options).filter((k) => options[k])
        .map((k) => k + "=" + encodeURIComponent(options[k]));
      frame.src =
        origin + "/widget.html" + (site ? "?site=" + encodeURIComponent(site) : "") +
        "#" + hash.join("&");
      root.insertBefore(frame, launcher);
      launcher.setAttribute("aria-controls", "panel");
    }
    if (!open) {
      open = true;
      render();
      post({ type: "open" });
      emit("open");
    }
    frame.focus();
  }

  function close() {
    if (!open) return;
    const focused = root.activeElement === frame;
    open = false;
    render();
    post({ type: "close" });
    emit("close");
    if (focused) launcher.focus();
  }

  function toggle() {
    open ? close() : show();
  }

  w.addEventListener("message", (e) => {
    const m = e.data;
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    if (!m || m.palaver !== 1) return;
    if (m.type === "ready") {
      ready = true;
      render();
      if (token) post({ type: "identify", token });
      post({ type: open ? "open" : "close" });
      pending.splice(0).forEach((queued) => post(queued));
    } else if (m.type === "message" && m.message) {
      emit("message", m.message);
    } else if (m.type === "unread") {
      const count = Math.max(0, Math.floor(m.count) || 0);
      if (count === unread) return;
      unread = count;
      badge.textContent = count > 99 ? "99+" : count;
      badge.hidden = !count;
      render();
      emit("unread", count);
    } else if (m.type === "labels" && typeof m.title === "string" && typeof m.unread === "string") {
      labels = m;
      render();
    } else if (m.type === "close") {
      close();
    }
  });

  const methods = {
    open: show,
    close,
    toggle,
    identify(jwt) {
      if (typeof jwt !== "string" || !jwt) return;
      token = jwt;
      post({ type: "identify", token });
    },
    send(text) {
      text = String(text);
      if (!text) return;
      show();
      post({ type: "send", text }, true);
    },
    on(name, fn) {
      (handlers[name] = handlers[name] || []).push(fn);
    },
    off(name, fn) {
      const list = handlers[name] || [];
      if (list.indexOf(fn) >= 0) list.splice(list.indexOf(fn), 1);
    },
  };
  // Palaver.open() and Palaver("open") both work, before and after this script loads.
  const api = (name, ...args) => methods[name] && methods[name](...args);
  w.Palaver = Object.assign(api, methods, { loaded: true });
  render();
  for (const args of (early && early.q) || []) api(...args);
})(window, document);
