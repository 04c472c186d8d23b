// The operator's site grid: one tile per site, coloured by link state, with
// RTT/loss and a sparkline; trouble first; searchable; dense enough for 400+
// sites on one 1920×1080 screen. Tiles are kept by site code and updated in
// place, so a `links` frame touches only the sites it names; the trouble-first
// order is each tile's CSS `order` (ties keep the hub's order), so no node moves.

import { t } from "./i18n.js";
import { h, panel, clock } from "./ui.js";
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

const STATE_GLYPH = { degraded: "▲", offline: "✕", unknown: "?" };

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

  const tiles = new Map(); // code -> {el, refs, last, linkRef}, in the hub's site order
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
      // The state as a shape too, for a reader who cannot tell the colours apart.
      glyph: h("span", { class: "glyph", "aria-hidden": "true" }),
      name: h("span", { class: "name" }, s.name),
      spark: sparkEl(),
      rtt: h("span", { class: "rtt" }),
      loss: h("span", { class: "loss" }),
      check: h("span", { class: "check" }),
      faults: h("span", { class: "badge fault-badge", hidden: true }),
      tc: h("span", { class: "badge tc", hidden: true }),
      flap: h("span", { class: "badge flap", hidden: true }, t("link.flapping")),
      // Messages from the site the centre has not read yet.
      unread: h("span", { class: "badge msg-badge", hidden: true }),
      // The technician's console, apart from the conference link the tile's colour shows.
      presence: h("span", { class: "presence", hidden: true }),
    };
    const el = h("button", { type: "button", class: "tile", role: "listitem", "data-site": s.code,
      onclick: () => onSite(s.code) },
    h("span", { class: "tile-top" }, refs.glyph, refs.code, refs.presence, refs.check), refs.name,
    h("span", { class: "tile-line" }, refs.spark, h("span", { class: "nums" }, refs.rtt, refs.loss)), refs.faults, refs.unread, refs.tc, refs.flap);
    el.dataset.search = fold(`${s.code} ${s.name} ${s.region || ""} ${s.technician || ""}`);
    return { el, refs, last: {} };
  }

  function set(entry, key, value, apply) {
    if (entry.last[key] === value) return;
    entry.last[key] = value;
    apply(value);
  }

  let structural = "";

  function render(state, force = false) {
    const r = ctx.store.revs;
    const key = `${r.sites}.${r.links}.${r.faults}.${r.testcalls}.${r.threads}`;
    if (!force && key === revs) return;
    revs = key;
    // Sites, faults and test calls change rarely; a links frame replaces the link
    // object of the sites it names only, so other tiles are skipped outright.
    const skey = `${r.sites}.${r.faults}.${r.testcalls}.${r.threads}`;
    const all = force || skey !== structural;
    structural = skey;
    const openBySite = {};
    if (all) {
      for (const f of Object.values(state.faults)) {
        if (OPEN_FAULT_STATES.has(f.state)) openBySite[f.site] = (openBySite[f.site] || 0) + 1;
      }
    }
    const list = Object.values(state.sites);
    const count = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    let checked = 0;
    let shown = 0;
    for (const s of list) {
      let e = tiles.get(s.code);
      if (!e) {
        tiles.set(s.code, (e = tile(s)));
        grid.appendChild(e.el);
      }
      if (all || e.linkRef !== s.link) update(e, s, state, all ? openBySite[s.code] || 0 : e.last.faults);
      e.linkRef = s.link;
      count[e.last.state] = (count[e.last.state] || 0) + 1;
      if (s.checked_in) checked += 1;
      if (!e.el.hidden) shown += 1;
    }
    if (tiles.size > list.length) {
      for (const [code, e] of tiles) {
        if (!state.sites[code]) {
          e.el.remove();
          tiles.delete(code);
        }
      }
    }
    grid.className = `site-grid ${density(list.length)}`;
    none.hidden = shown > 0;
    summary.textContent = t("sites.summary", { ...count, checked, total: list.length });
  }

  /** Brings one tile up to date; the trouble-first order is the CSS `order`. */
  function update(e, s, state, open) {
    const link = s.link || {};
    const st = link.state || "unknown";
    const tc = state.testcalls?.[s.code];
    set(e, "state", st, (v) => (e.refs.glyph.textContent = STATE_GLYPH[v] || ""));
    const cls = ["tile", `link-${st}`, s.kind === "central" && "central", open && "has-fault",
      link.flapping && "flapping", !s.checked_in && "not-in"].filter(Boolean).join(" ");
    set(e, "cls", cls, (v) => (e.el.className = v));
    // An offline site's last RTT is history, not news: say since when it is lost.
    const lost = st === "offline" && link.since != null;
    const rtt = lost ? t("tile.lost_since", { time: clock(link.since) })
      : link.rtt_ms == null ? "—" : `${Math.round(link.rtt_ms)} ms`;
    set(e, "rtt", rtt, (v) => (e.refs.rtt.textContent = v));
    set(e, "loss", lost || !link.loss_pct ? "" : ` · ${fmtPct(link.loss_pct)} %`, (v) => (e.refs.loss.textContent = v));
    const via = link.source ? ` · ${t(`source.title.${link.source}`)}` : "";
    set(e, "title", `${s.code} · ${s.name} · ${t(`link.${st}`)}${via} · ${linkNumbers(link)}`, (v) => (e.el.title = v));
    set(e, "check", s.checked_in, (v) => (e.refs.check.textContent = v ? "✔" : ""));
    set(e, "faults", open, (v) => {
      e.refs.faults.hidden = !v;
      e.refs.faults.textContent = String(v);
    });
    const unread = state.threads?.[s.code]?.unread?.centre || 0;
    set(e, "unread", unread, (v) => {
      e.refs.unread.hidden = !v;
      e.refs.unread.textContent = v ? t("tile.unread", { n: v }) : "";
    });
    set(e, "tc", tc?.verdict || "", (v) => {
      e.refs.tc.hidden = !v;
      e.refs.tc.className = `badge tc tc-${v}`;
      e.refs.tc.textContent = v ? t(`verdict.${v}`) : "";
    });
    set(e, "flap", !!link.flapping, (v) => (e.refs.flap.hidden = !v));
    // Shown only where the link follows the conference path: there the console is
    // presence, and its absence must not read as an outage.
    const presence = link.source && link.source !== "console" ? link.presence || "offline" : "";
    set(e, "presence", presence, (v) => {
      e.refs.presence.hidden = !v;
      e.refs.presence.className = `presence presence-${v}`;
      e.refs.presence.textContent = v ? t(`presence.short.${v}`) : "";
      e.refs.presence.title = v ? t(`presence.${v}`) : "";
    });
    const ring = ctx.store.history.get(s.code);
    set(e, "ring", ring.length ? ring[ring.length - 1].at * 100 + ring.length : 0, () => drawSpark(e.refs.spark, ring));
    const rank = troubleRank(s, open);
    set(e, "rank", rank, (v) => (e.el.style.order = String(v)));
    const match = (!query || e.el.dataset.search.includes(query)) && (!troubleOnly.checked || rank < 4);
    set(e, "hidden", !match, (v) => (e.el.hidden = v));
  }

  return { el: p.el, render };
}
