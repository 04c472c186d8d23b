// The operator's site grid: one tile per site, coloured by link state, with
// RTT/loss and a sparkline; trouble first; searchable; dense enough for 400+
// sites on one 1920×1080 screen. Tiles are kept by site code and updated in
// place, so a `links` frame for 1,000 sites touches only what changed.

import { t } from "./i18n.js";
import { h, panel } from "./ui.js";
import { OPEN_FAULT_STATES } from "./state.js";
import { sparkEl, drawSpark, linkNumbers, fmtPct } from "./spark.js";

const LINK_RANK = { offline: 0, degraded: 1, unknown: 4, online: 5 };

/** Lower is more trouble: offline, degraded, open faults, flapping, unknown, online. */
export function troubleRank(site, openFaults) {
  const state = site.link?.state || "unknown";
  if (state === "offline" || state === "degraded") return LINK_RANK[state];
  if (openFaults) return 2;
  if (site.link?.flapping) return 3;
  return LINK_RANK[state] ?? 4;
}

/** Lower case, without diacritics (so "ha noi" finds "Hà Nội"). */
export function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}

function density(n) {
  if (n <= 48) return "dense-1";
  if (n <= 160) return "dense-2";
  return "dense-3";
}

export function siteGrid(ctx, { onSite }) {
  const p = panel(t("sites.title"), "sites");
  const summary = h("span", { class: "summary" });
  const search = h("input", { type: "search", class: "site-search", placeholder: t("sites.search"),
    "aria-label": t("sites.search") });
  const troubleOnly = h("input", { type: "checkbox" });
  p.head.append(summary, h("span", { class: "spacer" }), search,
    h("label", { class: "toggle" }, troubleOnly, t("sites.trouble_only")));
  const grid = h("div", { class: "site-grid", role: "list" });
  const none = h("p", { class: "empty", hidden: true }, t("sites.no_match"));
  p.body.append(grid, none);

  const tiles = new Map(); // code -> {el, refs, last}
  let order = "";
  let revs = "";
  let query = "";
  search.addEventListener("input", () => {
    query = fold(search.value.trim());
    render(ctx.store.state, true);
  });
  troubleOnly.addEventListener("change", () => render(ctx.store.state, true));

  function tile(s) {
    const refs = {
      code: h("span", { class: "code" }, s.code),
      name: h("span", { class: "name" }, s.name),
      spark: sparkEl(),
      rtt: h("span", { class: "rtt" }),
      loss: h("span", { class: "loss" }),
      check: h("span", { class: "check" }),
      faults: h("span", { class: "badge fault-badge", hidden: true }),
      tc: h("span", { class: "badge tc", hidden: true }),
      flap: h("span", { class: "badge flap", hidden: true }, t("link.flapping")),
    };
    const el = h("button", { type: "button", class: "tile", role: "listitem", "data-site": s.code,
      onclick: () => onSite(s.code) },
    h("span", { class: "tile-top" }, refs.code, refs.check), refs.name,
    h("span", { class: "tile-line" }, refs.spark, h("span", { class: "nums" }, refs.rtt, refs.loss)), refs.faults, refs.tc, refs.flap);
    el.dataset.search = fold(`${s.code} ${s.name} ${s.region || ""} ${s.technician || ""}`);
    return { el, refs, last: {} };
  }

  function set(entry, key, value, apply) {
    if (entry.last[key] === value) return;
    entry.last[key] = value;
    apply(value);
  }

  function render(state, force = false) {
    const r = ctx.store.revs;
    const key = `${r.sites}.${r.links}.${r.faults}.${r.testcalls}`;
    if (!force && key === revs) return;
    revs = key;
    const openBySite = {};
    for (const f of Object.values(state.faults)) {
      if (OPEN_FAULT_STATES.has(f.state)) openBySite[f.site] = (openBySite[f.site] || 0) + 1;
    }
    const list = Object.values(state.sites);
    const count = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    let checked = 0;
    const ranked = [];
    list.forEach((s, i) => {
      let e = tiles.get(s.code);
      if (!e) tiles.set(s.code, (e = tile(s)));
      const link = s.link || {};
      const state_ = link.state || "unknown";
      count[state_] = (count[state_] || 0) + 1;
      if (s.checked_in) checked += 1;
      const open = openBySite[s.code] || 0;
      const tc = state.testcalls?.[s.code];
      const cls = ["tile", `link-${state_}`, s.kind === "central" && "central", open && "has-fault",
        link.flapping && "flapping", !s.checked_in && "not-in"].filter(Boolean).join(" ");
      set(e, "cls", cls, (v) => (e.el.className = v));
      set(e, "rtt", link.rtt_ms == null ? "—" : `${Math.round(link.rtt_ms)} ms`, (v) => (e.refs.rtt.textContent = v));
      set(e, "loss", link.loss_pct == null ? "" : ` · ${fmtPct(link.loss_pct)} %`, (v) => (e.refs.loss.textContent = v));
      set(e, "title", `${s.code} · ${s.name} · ${t(`link.${state_}`)} · ${linkNumbers(link)}`,
        (v) => (e.el.title = v));
      set(e, "check", s.checked_in, (v) => (e.refs.check.textContent = v ? "✔" : ""));
      set(e, "faults", open, (v) => {
        e.refs.faults.hidden = !v;
        e.refs.faults.textContent = String(v);
      });
      set(e, "tc", tc?.verdict || "", (v) => {
        e.refs.tc.hidden = !v;
        e.refs.tc.className = `badge tc tc-${v}`;
        e.refs.tc.textContent = v ? t(`verdict.${v}`) : "";
      });
      set(e, "flap", !!link.flapping, (v) => (e.refs.flap.hidden = !v));
      const ring = ctx.store.history.get(s.code);
      set(e, "ring", ring.length ? ring[ring.length - 1].at * 100 + ring.length : 0, () => drawSpark(e.refs.spark, ring));
      const rank = troubleRank(s, open);
      const match = (!query || e.el.dataset.search.includes(query)) && (!troubleOnly.checked || rank < 4);
      set(e, "hidden", !match, (v) => (e.el.hidden = v));
      ranked.push([rank, i, e, s.code]);
    });
    ranked.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const nextOrder = ranked.map((x) => x[3]).join(",");
    if (nextOrder !== order) {
      order = nextOrder;
      grid.replaceChildren(...ranked.map((x) => x[2].el));
      grid.className = `site-grid ${density(list.length)}`;
    }
    none.hidden = ranked.some((x) => !x[2].el.hidden);
    summary.textContent = t("sites.summary", { ...count, checked, total: list.length });
  }

  return { el: p.el, render };
}
