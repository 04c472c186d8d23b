// "You are next": the hub cues a bridge site before its run-script item, when it is
// next, and when its speaker heads the queue (cue.sent); the site answers with one
// tap, "Sẵn sàng" or "Chưa sẵn sàng" (cue.answer), which the centre sees beside the
// item or the request.

import { t } from "./i18n.js";
import { h, fill, clock } from "./ui.js";

const order = (cue) => Number.parseInt(cue.cue_id.slice(1), 10) || 0; // Q0001, Q0002…: as sent

/** The latest cue of a site about an item or a request (null if none). */
export function latestCue(state, { site, item_id: itemId, request_id: requestId }) {
  let found = null;
  for (const c of Object.values(state.cues || {})) {
    if (site && c.site !== site) continue;
    if (itemId && c.item_id !== itemId) continue;
    if (requestId && c.request_id !== requestId) continue;
    if (!found || order(c) > order(found)) found = c;
  }
  return found;
}

/** The site's answer as a short mark for the centre's panels ("" before any cue). */
export function cueMark(cue) {
  if (!cue) return null;
  const key = cue.ready == null ? "cue.waiting" : cue.ready ? "cue.ready" : "cue.not_ready";
  const cls = cue.ready == null ? "waiting" : cue.ready ? "ready" : "not-ready";
  return h("span", { class: `cue-mark ${cls}`, "data-cue": cue.cue_id },
    t(key), cue.answered_at ? ` · ${clock(cue.answered_at)}` : "");
}

function cueText(cue, state) {
  const site = state.sites[cue.site]?.name || cue.site;
  if (cue.reason === "speaker") {
    const r = state.speaking.requests[cue.request_id];
    return t("cue.speaker", { site, speaker: r?.speaker || "" });
  }
  const item = state.agenda.items.find((i) => i.item_id === cue.item_id);
  const what = item ? item.content : cue.item_id;
  return cue.reason === "next"
    ? t("cue.next", { site, item: what })
    : t("cue.soon", { site, item: what, time: clock(cue.starts_at) });
}

/** The site console's cue: prominent with its two answers until the moment has passed. */
export function siteCue(ctx, code) {
  const box = h("section", { class: "site-cue", "aria-live": "assertive" });

  function stillAhead(cue, state) {
    if (cue.reason === "speaker") {
      const r = state.speaking.requests[cue.request_id];
      return r && r.state === "approved";
    }
    const item = state.agenda.items.find((i) => i.item_id === cue.item_id);
    return item && item.actual_start == null;
  }

  function render(state) {
    const cues = Object.values(state.cues || {}).filter((c) => c.site === code && stillAhead(c, state))
      .sort((a, b) => order(b) - order(a));
    const cue = cues[0];
    box.hidden = !cue;
    if (!cue) return fill(box);
    const link = state.sites[code]?.link?.state || "unknown";
    const answer = (ready) => ctx.cmd("cue.answer", { cue_id: cue.cue_id, ready });
    fill(box, h("div", { class: ["cue-banner", cue.ready === true && "answered"], role: "alert", "data-id": cue.cue_id },
      h("div", { class: "label" }, t("cue.title")),
      h("div", { class: "cue-text" }, cueText(cue, state)),
      h("div", { class: `link-pill small link-${link}` }, t("site.link", { state: t(`link.${link}`) })),
      h("div", { class: "row wrap" },
        h("button", { type: "button", class: ["big", cue.ready === true ? "primary" : "ok"],
          "aria-pressed": String(cue.ready === true), onclick: () => answer(true) }, t("cue.answer_ready")),
        h("button", { type: "button", class: ["big", cue.ready === false ? "danger" : "ghost"],
          "aria-pressed": String(cue.ready === false), onclick: () => answer(false) }, t("cue.answer_not_ready"))),
      cue.ready != null ? h("p", { class: "sub" }, t("cue.answered", { time: clock(cue.answered_at) })) : null));
  }

  return { el: box, render };
}
