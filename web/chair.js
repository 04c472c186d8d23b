// The chair's display: read-only, readable from across the room.

import { t } from "./i18n.js";
import { h, fill, countdownEl, clock, overLabelEl, clockEl } from "./ui.js";
import { OPEN_FAULT_STATES } from "./state.js";

/** Sites in trouble for the chair: a link offline or degraded, or a critical fault open
 * (a minor fault is the operators' business, not the chair's). */
export function troubledSites(state) {
  const open = new Set(Object.values(state.faults || {})
    .filter((f) => OPEN_FAULT_STATES.has(f.state) && f.severity === "critical").map((f) => f.site));
  return Object.values(state.sites).filter((s) =>
    s.link?.state === "offline" || s.link?.state === "degraded" || open.has(s.code));
}

export function mount(container, ctx) {
  const floor = h("section", { class: "chair-floor" });
  const agenda = h("section", { class: "chair-box chair-agenda" });
  const next = h("section", { class: "chair-box chair-next" });
  const trouble = h("section", { class: "chair-box chair-trouble" });
  const now = h("section", { class: "chair-box chair-clock" }, clockEl("chair-time"));
  container.appendChild(h("div", { class: "chair-grid" }, floor,
    h("div", { class: "chair-side" }, now, agenda, next, trouble)));

  function render(state) {
    const sp = state.speaking;
    const r = sp.on_floor ? sp.requests[sp.on_floor] : null;
    if (r) {
      fill(floor,
        h("div", { class: "label" }, t("speak.floor")),
        h("div", { class: "chair-speaker" }, r.speaker),
        h("div", { class: "chair-title" }, [r.title, state.sites[r.site]?.name || r.site_name || r.site].filter(Boolean).join(" · ")),
        r.topic ? h("div", { class: "chair-topic" }, r.topic) : null,
        overLabelEl(r.ends_at, t("chair.remaining"), t("chair.over"), "label chair-left"),
        countdownEl(r.ends_at, "countdown giant"));
    } else {
      fill(floor, h("div", { class: "label" }, t("speak.floor")),
        h("div", { class: "chair-speaker muted" }, t("speak.floor_empty")));
    }

    const item = ctx.store.currentItem();
    fill(agenda, h("div", { class: "label" }, t("agenda.current")),
      item ? [
        h("div", { class: "chair-item" }, `${item.order}. ${item.content}`),
        h("div", { class: "sub" }, [item.presenter, item.presenter_title].filter(Boolean).join(", ")),
        h("div", { class: "sub" }, t("agenda.planned", { time: clock(item.planned_start), min: item.duration_min })),
      ] : h("div", { class: "sub" }, t("agenda.none")));

    const upcoming = sp.queue.slice(0, 3).map((id) => sp.requests[id]).filter(Boolean);
    fill(next, h("div", { class: "label" }, t("chair.next3")),
      upcoming.length ? h("ol", { class: "chair-next-list" }, upcoming.map((q) =>
        h("li", {}, h("span", { class: "speaker" }, q.speaker),
          h("span", { class: "sub" }, [q.title, state.sites[q.site]?.name || q.site].filter(Boolean).join(" · ")))))
        : h("div", { class: "sub" }, t("speak.empty")));

    const bad = troubledSites(state);
    fill(trouble, h("div", { class: "label" }, t("chair.trouble")),
      h("div", { class: ["trouble-count", bad.length ? "bad" : "good"] },
        bad.length ? String(bad.length) : "✔"),
      h("div", { class: "sub" }, bad.length
        ? bad.slice(0, 8).map((s) => s.name).join(", ") + (bad.length > 8 ? "…" : "")
        : t("chair.trouble_none")));
  }

  return { render };
}
