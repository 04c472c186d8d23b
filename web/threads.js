// A thread per site: the site's technician and the central operators write to each
// other, with a photo from the phone's camera if need be. Durable events (msg.sent,
// msg.read) like the rest; seen by that site and the central team only.
//
// threadBox(ctx, code, side) is the conversation, for the site console (side "site")
// and the operator's site detail (side "centre"); threadsPanel lists the sites'
// threads for the operator with what is unread.

import { t } from "./i18n.js";
import { h, fill, panel, clock, ask, toast } from "./ui.js";

const MAX_EDGE = 1600; // a phone photo scaled to this is 0.2-1 MB as JPEG
const photoUrls = new Map(); // photo id -> object URL (fetched once per page)

function photosPath(ctx) {
  return `/api/conferences/${encodeURIComponent(ctx.session.conference)}/photos`;
}

/** An <img> of a stored photo, fetched with the session's token (an <img src> cannot send it). */
export function photoEl(ctx, id) {
  const img = h("img", { class: "msg-photo", alt: t("thread.photo"), loading: "lazy" });
  const known = photoUrls.get(id);
  if (known) {
    img.src = known;
  } else {
    fetch(`${photosPath(ctx)}/${id}`, { headers: { Authorization: `Bearer ${ctx.session.token}` } })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (!blob) return;
        const url = URL.createObjectURL(blob);
        photoUrls.set(id, url);
        img.src = url;
      })
      .catch(() => {});
  }
  return h("a", { href: "#", class: "msg-photo-link", onclick: (e) => {
    e.preventDefault();
    if (img.src) window.open(img.src, "_blank", "noopener");
  } }, img);
}

/** The photo scaled down in the browser (EXIF orientation applied), as a JPEG blob. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve) => canvas.toBlob((b) => resolve(b || file), "image/jpeg", 0.85));
  } catch {
    return file; // a format the browser cannot draw: the hub decides whether it takes it
  }
}

/** Sends a photo (scaled down) to POST /photos; its id, or an error with a `code`. */
export async function upload(ctx, code, side, file) {
  const body = await shrink(file);
  const query = side === "centre" ? `?site=${encodeURIComponent(code)}` : "";
  const res = await fetch(`${photosPath(ctx)}${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ctx.session.token}`, "Content-Type": body.type || "application/octet-stream" },
    body,
  });
  if (!res.ok) throw Object.assign(new Error("photo"), { code: res.status === 413 ? "too_large" : "photo" });
  return (await res.json()).photo_id;
}

/** The conversation of one site, seen from ``side`` ("site" or "centre"). */
export function threadBox(ctx, code, side) {
  const list = h("ol", { class: "thread", "aria-live": "polite" });
  const text = h("textarea", { name: "text", rows: 2, maxlength: 2000, placeholder: t("thread.placeholder"),
    "aria-label": t("thread.text") });
  const file = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "environment",
    class: "visually-hidden", "aria-label": t("thread.attach") });
  const chosen = h("span", { class: "sub thread-file" });
  const sendBtn = h("button", { type: "submit", class: "primary" }, t("thread.send"));
  const form = h("form", { class: "thread-form" }, text,
    h("div", { class: "row wrap" },
      h("label", { class: "button ghost thread-attach" }, file, t("thread.attach")), chosen,
      h("span", { class: "spacer" }), sendBtn));
  const el = h("section", { class: "thread-box", "data-site": code }, list, form);
  let lastMarked = "";

  file.addEventListener("change", () => {
    chosen.textContent = file.files[0] ? file.files[0].name : "";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const words = text.value.trim();
    const picked = file.files[0];
    if (!words && !picked) return;
    sendBtn.disabled = true;
    try {
      const args = { text: words };
      if (side === "centre") args.site = code;
      if (picked) {
        try {
          args.photo = await upload(ctx, code, side, picked);
        } catch (err) {
          toast(t(err.code === "too_large" ? "thread.photo_big" : "thread.photo_failed"));
          return;
        }
      }
      if (await ctx.cmd("msg.send", args)) {
        form.reset();
        chosen.textContent = "";
      }
    } finally {
      sendBtn.disabled = false;
    }
  });

  async function openFault(m) {
    const description = await ask(t("sites.report_fault"), t("site.description"), m.text || t("thread.photo"));
    if (description) {
      ctx.cmd("fault.report", { site: code, category: "other", severity: "major", description },
        (r) => t("site.reported", { id: r.fault_id }));
    }
  }

  let shown = ""; // the thread's revision last drawn: a links frame every second redraws nothing
  let count = 0;
  let scrolled = 0; // where the reader has scrolled the thread to
  list.addEventListener("scroll", () => { scrolled = list.scrollTop; }, { passive: true });

  function render(state) {
    const th = state.threads?.[code];
    const messages = th ? th.messages : [];
    const key = `${ctx.store.revs.threads}.${ctx.store.revs.sites}`;
    if (key !== shown) {
      shown = key;
      draw(state, messages);
      // Down to the newest only when one arrived, not while the reader scrolls back
      // (the bottom, however far it is once the thread is shown).
      if (messages.length !== count) scrolled = Number.MAX_SAFE_INTEGER;
      count = messages.length;
    }
    // The site detail redraws around the thread, which moves it in the page and
    // resets its scroll: put the reader back where they were. A thread in a hidden
    // tab has no scroll yet; it is placed when its tab is shown.
    const visible = shownOnScreen(el);
    if (visible && list.scrollTop !== scrolled) {
      list.scrollTop = scrolled;
      scrolled = list.scrollTop;
    }
    if (visible) markRead(th, messages);
  }

  function draw(state, messages) {
    fill(list, messages.length ? messages.map((m) => h("li", {
      class: ["msg", `from-${m.side}`, m.side === side && "mine"], "data-id": m.message_id,
    },
    h("div", { class: "msg-meta sub" },
      m.side === "site" ? state.sites[code]?.name || code : t("thread.centre"), " · ", clock(m.at)),
    m.text ? h("div", { class: "msg-text" }, m.text) : null,
    m.photo ? photoEl(ctx, m.photo) : null,
    side === "centre" && m.side === "site" && ctx.can("fault.report")
      ? h("button", { type: "button", class: "ghost small", onclick: () => openFault(m) }, t("thread.to_fault"))
      : null))
      : h("li", { class: "empty" }, t("thread.empty")));
  }

  function markRead(th, messages) {
    // What is shown on a visible page is read: the mark moves (once per new message).
    const last = messages.at(-1)?.message_id || "";
    const unread = th?.unread?.[side] || 0;
    if (unread && last && last !== lastMarked && document.visibilityState === "visible") {
      lastMarked = last;
      // Quietly: a read mark is no one's action to be told about (and it waits for
      // the connection like any command).
      ctx.conn.send("msg.read", side === "centre" ? { site: code, up_to: last } : { up_to: last })
        .catch(() => { lastMarked = ""; });
    }
  }

  return { el, render };
}

/** Whether el is on the screen: connected, and not inside a hidden tab or dialog. */
function shownOnScreen(el) {
  if (!el.isConnected) return false;
  return el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null;
}

/** The operator's list of the sites' threads, newest first, with what is unread. */
export function threadsPanel(ctx, { onSite }) {
  const p = panel(t("thread.title"), "threads");
  const list = h("ul", { class: "thread-list" });
  p.body.appendChild(list);

  let shown = "";

  function render(state) {
    const key = `${ctx.store.revs.threads}.${ctx.store.revs.sites}`;
    if (key === shown) return;
    shown = key;
    const threads = Object.values(state.threads || {}).filter((th) => th.messages.length)
      .sort((a, b) => (b.messages.at(-1)?.at || 0) - (a.messages.at(-1)?.at || 0));
    const unread = threads.reduce((n, th) => n + (th.unread?.centre || 0), 0);
    p.el.querySelector("h2")?.setAttribute("data-unread", String(unread));
    fill(list, threads.length ? threads.slice(0, 12).map((th) => {
      const last = th.messages.at(-1);
      const n = th.unread?.centre || 0;
      return h("li", { class: ["thread-row", n && "unread"], "data-site": th.site },
        h("button", { type: "button", class: "ghost", onclick: () => onSite(th.site) },
          h("strong", {}, state.sites[th.site]?.name || th.site),
          n ? h("span", { class: "badge count" }, t("thread.unread", { n })) : null,
          h("span", { class: "sub" }, ` ${clock(last.at)} · `,
            last.text || t("thread.photo"))));
    }) : h("li", { class: "empty" }, t("thread.none")));
  }

  return { el: p.el, render };
}
