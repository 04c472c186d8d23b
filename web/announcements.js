// Announcements: the operator tells every site (or a region's) at once and sees, live,
// who has not read it yet, with their phone; the site console shows each until its
// technician taps "Đã xem". Durable events like the rest (announce.sent / announce.read).

import { t } from "./i18n.js";
import { h, fill, panel, clock } from "./ui.js";

function newestFirst(state) {
  return Object.values(state.announcements || {}).sort((a, b) => b.sent_at - a.sent_at);
}

/** The operator's panel: a form and the announcements sent, with their read marks. */
export function announcePanel(ctx) {
  const p = panel(t("ann.title"), "announcements");
  const text = h("textarea", { name: "text", rows: 2, maxlength: 500, required: true,
    placeholder: t("ann.placeholder"), "aria-label": t("ann.text") });
  const target = h("select", { name: "target", "aria-label": t("ann.to") });
  const form = h("form", { class: "ann-form" }, text,
    h("div", { class: "row wrap" }, target, h("button", { type: "submit", class: "primary" }, t("ann.send"))));
  const list = h("ul", { class: "ann-list" });
  p.body.append(form, list);
  let regions = "";

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const words = text.value.trim();
    if (!words) return;
    const args = { text: words };
    if (target.value) args.region = target.value;
    if (await ctx.cmd("announce.send", args, t("done.sent"))) text.value = "";
  });

  function resend(a, unread) {
    ctx.cmd("announce.send", { text: a.text, sites: unread }, t("done.sent"));
  }

  function render(state) {
    const found = [...new Set(Object.values(state.sites).filter((s) => s.kind !== "central")
      .map((s) => s.region).filter(Boolean))].sort();
    if (found.join("|") !== regions) {
      regions = found.join("|");
      const chosen = target.value;
      fill(target, h("option", { value: "" }, t("ann.all")),
        found.map((r) => h("option", { value: r }, t("ann.region", { region: r }))));
      target.value = found.includes(chosen) ? chosen : "";
    }
    const items = newestFirst(state).slice(0, 10);
    fill(list, items.length ? items.map((a) => {
      const unread = a.sites.filter((c) => !(c in (a.read || {})));
      const names = unread.map((c) => {
        const s = state.sites[c];
        return s ? `${s.name}${s.phone ? ` (${s.phone})` : ""}` : c;
      });
      return h("li", { class: "ann", "data-id": a.announcement_id },
        h("div", { class: "ann-text" }, a.text),
        h("div", { class: "sub" }, `${clock(a.sent_at)} · `,
          h("span", { class: "ann-count" }, t("ann.read_count", { read: a.sites.length - unread.length, total: a.sites.length }))),
        unread.length ? h("details", { class: "ann-unread" },
          h("summary", {}, t("ann.unread", { n: unread.length })), h("p", { class: "sub" }, names.join(", ")),
          ctx.can("announce.send") ? h("button", { type: "button", class: "ghost", onclick: () => resend(a, unread) },
            t("ann.resend")) : null) : null);
    }) : h("li", { class: "empty" }, t("ann.none")));
  }

  return { el: p.el, render };
}

/** The site console's announcements: unread ones prominent, with "Đã xem". */
export function siteAnnouncements(ctx, code) {
  const box = h("section", { class: "site-announcements", "aria-live": "polite" });

  function render(state) {
    const items = newestFirst(state);
    const unread = items.filter((a) => !(code in (a.read || {})));
    const latestRead = items.find((a) => code in (a.read || {}));
    fill(box,
      unread.map((a) => h("div", { class: "ann-banner", role: "alert", "data-id": a.announcement_id },
        h("div", { class: "label" }, t("ann.from_centre", { time: clock(a.sent_at) })),
        h("div", { class: "ann-text" }, a.text),
        h("button", { type: "button", class: "primary big",
          onclick: () => ctx.cmd("announce.read", { announcement_id: a.announcement_id }) }, t("ann.seen")))),
      !unread.length && latestRead ? h("p", { class: "sub ann-last" },
        t("ann.last", { time: clock(latestRead.sent_at) }), " ", latestRead.text) : null);
    box.hidden = !unread.length && !latestRead;
  }

  return { el: box, render };
}
