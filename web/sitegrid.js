// The operator's site overview: one tile per site, coloured by link state and
// marked with a shape, with RTT/loss and a sparkline; trouble first; searchable.
// Three views of the same tiles: a grid (dense enough for 400+ sites on one
// 1920×1080 screen), groups by region (collapsible, with counts, for thousands),
// and a list (one row per site, every figure in words). Tiles are kept by site code
// and updated in place, so a `links` frame touches only the sites it names; the
// trouble-first order is each tile's CSS `order` (ties keep the hub's order), so
// no node moves except when the view changes.

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

const VIEW_KEY = "controlroom.sites.view";
const VIEWS = ["grid", "groups", "list"];
// Past this many sites a grid of codes says little: the groups are the default.
const GROUPS_FROM = 400;

export function siteGrid(ctx, { onSite }) {
  const p = panel(t("sites.title"), "sites");
  const summary = h("span", { class: "summary", role: "status" });
  const search = h("input", { type: "search", class: "site-search", placeholder: t("sites.search"),
    "aria-label": t("sites.search") });
  const troubleOnly = h("input", { type: "checkbox" });
  const viewButtons = VIEWS.map((v) => h("button", { type: "button", class: "ghost view-btn", "data-view": v,
    "aria-pressed": "false", onclick: () => setView(v, true) }, t(`sites.view.${v}`)));
  p.head.append(summary, h("span", { class: "spacer" }),
    h("div", { class: "view-switch", role: "group", "aria-label": t("sites.view") }, viewButtons),
    h("div", { class: "site-filters" }, search, h("label", { class: "toggle" }, troubleOnly, t("sites.trouble_only"))));
  const grid = h("div", { class: "site-grid", role: "list" });
  const groupsBox = h("div", { class: "site-groups", hidden: true });
  const none = h("p", { class: "empty", hidden: true }, t("sites.no_match"));
  p.body.append(grid, groupsBox, none);

  const tiles = new Map(); // code -> {el, refs, last, linkRef, group}, in the hub's site order
  const groups = new Map(); // region -> {el, grid, head, counts}
  let view = localStorage.getItem(VIEW_KEY);
  let chosen = VIEWS.includes(view);
  let revs = "";
  let query = "";
  search.addEventListener("input", () => {
    query = fold(search.value.trim());
    render(ctx.store.state, true);
  });
  troubleOnly.addEventListener("change", () => render(ctx.store.state, true));

  function setView(v, remember = false) {
    if (remember) {
      localStorage.setItem(VIEW_KEY, v);
      chosen = true;
    }
    if (v === view && grid.dataset.view === v) return;
    view = v;
    grid.dataset.view = v;
    for (const b of viewButtons) b.setAttribute("aria-pressed", String(b.dataset.view === v));
    groupsBox.hidden = v !== "groups";
    grid.hidden = v === "groups";
    // The tiles move to their group's grid, or back to the one grid, in the hub's order.
    for (const e of tiles.values()) (v === "groups" ? groupOf(e).grid : grid).appendChild(e.el);
    render(ctx.store.state, true);
  }

  function groupOf(e) {
    const key = e.group;
    let g = groups.get(key);
    if (!g) {
      const head = h("span", { class: "group-counts" });
      const gridEl = h("div", { class: "site-grid", role: "list" });
      const el = h("details", { class: "site-group", open: true, "data-group": key },
        h("summary", {}, h("span", { class: "group-name" }, key || t("sites.no_region")), head), gridEl);
      g = { el, grid: gridEl, head, counts: null };
      groups.set(key, g);
      groupsBox.appendChild(el);
    }
    return g;
  }

  function tile(s) {
    const refs = {
      code: h("span", { class: "code" }, s.code),
      // The state as a shape too, for a reader who cannot tell the colours apart;
      // the list says it in words.
      glyph: h("span", { class: "glyph", "aria-hidden": "true" }),
      state: h("span", { class: "state-word" }),
      name: h("span", { class: "name" }, s.name),
      spark: sparkEl(),
      rtt: h("span", { class: "rtt" }),
      loss: h("span", { class: "loss" }),
      check: h("span", { class: "check" }),
      faults: h("span", { class: "badge fault-badge", hidden: true }),
      tc: h("span", { class: "badge tc", hidden: true }),
      flap: h("span", { class: "badge flap", hidden: true, title: t("link.flapping") }, "↯"),
      // Messages from the site the centre has not read yet.
      unread: h("span", { class: "badge msg-badge", hidden: true }),
      // The technician's console, apart from the conference link the tile's colour shows.
      presence: h("span", { class: "presence", hidden: true }),
    };
    // Badges sit in the rows beside the name and the code, never over a figure.
    const el = h("button", { type: "button", class: "tile", role: "listitem", "data-site": s.code,
      onclick: () => onSite(s.code) },
    h("span", { class: "tile-top" }, refs.glyph, refs.code, refs.state, refs.presence, h("span", { class: "spacer" }),
      refs.faults, refs.check),
    h("span", { class: "tile-mid" }, refs.name, refs.unread, refs.flap, refs.tc),
    h("span", { class: "tile-line" }, refs.spark, h("span", { class: "nums" }, refs.rtt, refs.loss)));
    el.dataset.search = fold(`${s.code} ${s.name} ${s.region || ""} ${s.technician || ""}`);
    return { el, refs, last: {}, group: s.region || "" };
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
    const list = Object.values(state.sites);
    if (!grid.dataset.view) {
      setView(chosen ? view : list.length > GROUPS_FROM ? "groups" : "grid");
      return;
    }
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
    const count = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    const byGroup = view === "groups" ? new Map() : null;
    let checked = 0;
    let shown = 0;
    let flapping = 0;
    for (const s of list) {
      let e = tiles.get(s.code);
      if (!e) {
        tiles.set(s.code, (e = tile(s)));
        (view === "groups" ? groupOf(e).grid : grid).appendChild(e.el);
      }
      if (all || e.linkRef !== s.link) update(e, s, state, all ? openBySite[s.code] || 0 : e.last.faults);
      e.linkRef = s.link;
      count[e.last.state] = (count[e.last.state] || 0) + 1;
      if (e.last.flap) flapping += 1;
      if (s.checked_in) checked += 1;
      if (!e.el.hidden) shown += 1;
      if (byGroup) {
        let c = byGroup.get(e.group);
        if (!c) byGroup.set(e.group, (c = { total: 0, offline: 0, degraded: 0, faults: 0, shown: 0 }));
        c.total += 1;
        if (e.last.state === "offline") c.offline += 1;
        if (e.last.state === "degraded") c.degraded += 1;
        c.faults += e.last.faults || 0;
        if (!e.el.hidden) c.shown += 1;
      }
    }
    if (tiles.size > list.length) {
      for (const [code, e] of tiles) {
        if (!state.sites[code]) {
          e.el.remove();
          tiles.delete(code);
        }
      }
    }
    if (byGroup) renderGroups(byGroup);
    const cls = `site-grid ${density(list.length)}${view === "list" ? " as-list" : ""}`;
    grid.className = cls;
    for (const g of groups.values()) g.grid.className = `site-grid ${density(list.length)}`;
    none.hidden = shown > 0;
    summary.textContent = t("sites.summary", { ...count, checked, total: list.length })
      + (flapping ? ` · ${t("sites.flapping", { n: flapping })}` : "");
  }

  /** Each group's head: how many sites, and how many of them are in trouble. */
  function renderGroups(byGroup) {
    for (const [key, g] of groups) {
      // A region left with no site (the sites were replaced) goes.
      if (!byGroup.has(key)) {
        g.el.remove();
        groups.delete(key);
      }
    }
    for (const [key, c] of byGroup) {
      const g = groups.get(key);
      if (!g) continue;
      const text = [t("sites.group_total", { n: c.total }),
        c.offline ? t("sites.group_offline", { n: c.offline }) : "",
        c.degraded ? t("sites.group_degraded", { n: c.degraded }) : "",
        c.faults ? t("sites.open_faults", { n: c.faults }) : ""].filter(Boolean).join(" · ");
      if (g.counts !== text) {
        g.counts = text;
        g.head.textContent = text;
      }
      g.el.classList.toggle("trouble", c.offline + c.degraded + c.faults > 0);
      g.el.hidden = c.shown === 0;
    }
  }

  /** Brings one tile up to date; the trouble-first order is the CSS `order`. */
  function update(e, s, state, open) {
    const link = s.link || {};
    const st = link.state || "unknown";
    const tc = state.testcalls?.[s.code];
    set(e, "state", st, (v) => {
      e.refs.glyph.textContent = STATE_GLYPH[v] || "";
      e.refs.state.textContent = t(`link.${v}`);
    });
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
    const flap = link.flapping ? ` · ${t("link.flapping")}` : "";
    const tech = link.source && link.source !== "console" ? ` · ${t(`presence.${link.presence || "offline"}`)}` : "";
    set(e, "title", `${s.code} · ${s.name} · ${t(`link.${st}`)}${flap}${via}${tech} · ${linkNumbers(link)}`, (v) => (e.el.title = v));
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
    // presence, and its absence must not read as an outage. A technician at the
    // console is the rule, so only an absent one is marked (the title says either).
    const here = link.source && link.source !== "console" ? link.presence || "offline" : "";
    const presence = here === "online" ? "" : here;
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
