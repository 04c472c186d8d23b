// Test calls in the consoles: the operator's readiness board (readinessBoard, a
// pane of the operator's console) and the site technician's "test call" panel (testCallPanel).
// The board is GET /api/conferences/{C}/readiness, fetched again (at most every 2 s)
// when a test call or campaign event arrives; the site panel reads state.testcalls.

import { t, lang } from "./i18n.js";
import { h, fill, button, panel, clock } from "./ui.js";

// The board's words are strings/*.js "ready.*", the consoles' one glossary.
function tx(key, vars) {
  return t(`ready.${key}`, vars);
}

function reasonText(r) {
  if (r && typeof r === "object") return r[lang()] || r.en || r.code || "";
  return String(r);
}

function metricsText(m) {
  const parts = [];
  if (m.rtt_ms != null) parts.push(`RTT ${Math.round(m.rtt_ms)} ms`);
  if (m.jitter_ms != null) parts.push(`jitter ${Math.round(m.jitter_ms)} ms`);
  if (m.loss_pct != null) parts.push(`${tx("loss")} ${m.loss_pct} %`);
  if (m.mos != null) parts.push(`MOS ${m.mos}`);
  if (m.video_fps != null) parts.push(`${m.video_fps} fps`);
  return parts.join(" · ");
}

function verdictBadge(verdict) {
  const key = verdict || "untested";
  return h("span", { class: `verdict v-${key}` }, tx(key));
}

/** The operator's board: {el, render, destroy}; a pane of the operator's console. */
export function readinessBoard(ctx) {
  const board = panel(tx("board"), "readiness");
  const progress = h("p", { class: "state-line campaign-progress" });
  const table = h("div", { class: "readiness-table" });
  const actions = h("div", { class: "row wrap actions" },
    button(tx("campaign"), () => ctx.cmd("testcall.campaign", {}), "primary"),
    button(tx("cancel"), () => ctx.cmd("testcall.cancel", {}), "ghost"),
    button(tx("csv"), () => download(), "ghost"));
  board.body.append(actions, progress, table);

  let timer = null;
  let last = 0;
  // Events arrive as the connection's "event" (not "frame", which carries only the
  // frames no other listener takes): the board follows a campaign live.
  const onEvent = (e) => {
    const f = e.detail;
    if (f.name === "campaign.progress" || f.name === "campaign.started") showProgress(f.data);
    if (f.name.startsWith("testcall.") || f.name.startsWith("campaign.")) schedule();
  };
  ctx.conn.addEventListener("event", onEvent);

  function showProgress(d) {
    if (d.sites) d = { campaign: d.campaign, state: "running", total: d.sites.length, done: 0, pass: 0, warn: 0, fail: 0, retries: 0 };
    progress.textContent = tx("progress", { id: d.campaign, ...d, cstate: tx(`cstate.${d.state}`) });
  }

  function schedule() {
    if (timer) return;
    const wait = Math.max(0, 2000 - (Date.now() - last));
    timer = setTimeout(() => { timer = null; refresh(); }, wait);
  }

  async function fetchBoard(format = "") {
    const url = `/api/conferences/${encodeURIComponent(ctx.session.conference)}/readiness${format}`;
    return fetch(url, { headers: { Authorization: `Bearer ${ctx.session.token}` } });
  }

  async function download() {
    const res = await fetchBoard(`?format=csv&lang=${lang()}`);
    const blob = await res.blob();
    const a = h("a", { href: URL.createObjectURL(blob), download: `${ctx.session.conference}-readiness.csv` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  async function refresh() {
    last = Date.now();
    let body;
    try {
      const res = await fetchBoard();
      if (!res.ok) return;
      body = await res.json();
    } catch {
      return;
    }
    const c = body.campaign;
    if (c) {
      const results = Object.values(c.results || {});
      showProgress({ campaign: c.campaign, state: c.state, total: c.sites.length, done: results.length,
        pass: results.filter((v) => v === "pass").length, warn: results.filter((v) => v === "warn").length,
        fail: results.filter((v) => v === "fail").length, retries: (c.retried || []).length });
    }
    fill(table, h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, [tx("site"), tx("checkin"), tx("verdict"), tx("metrics"), tx("reasons"), tx("link"), tx("tech")]
        .map((x) => h("th", {}, x)))),
      h("tbody", {}, body.sites.map((r) => h("tr", { class: `row-${r.verdict || "untested"}`, "data-site": r.code },
        h("td", {}, h("b", {}, r.code), " ", r.name),
        h("td", {}, r.checked_in ? tx("yes") : tx("no")),
        h("td", {}, verdictBadge(r.verdict), r.tested_at ? h("div", { class: "sub" }, clock(r.tested_at)) : null),
        h("td", {}, metricsText(r.metrics || {})),
        h("td", {}, (r.reasons || []).map(reasonText).join("; ")),
        h("td", {}, t(`link.${r.link?.state || "unknown"}`)),
        h("td", {}, [r.technician, r.phone].filter(Boolean).join(" · ")))))));
  }

  refresh();
  return {
    el: board.el,
    render() { if (!last) schedule(); },
    destroy() { ctx.conn.removeEventListener("event", onEvent); clearTimeout(timer); },
  };
}

/** The site technician's panel: the latest test call of this site. */
export function testCallPanel(code) {
  const p = panel(tx("mine"), "testcall");
  const body = h("div", { class: "testcall-result", "data-testid": "testcall" });
  p.body.appendChild(body);
  return {
    el: p.el,
    render(state) {
      const tc = state.testcalls?.[code];
      if (!tc) { fill(body, h("p", { class: "empty" }, tx("none"))); return; }
      if (tc.state === "running") { fill(body, h("p", { class: "state-line warn" }, tx("calling"))); return; }
      fill(body,
        h("p", { class: `state-line v-${tc.verdict}` }, verdictBadge(tc.verdict), " ",
          tc.finished_at ? tx("at", { time: clock(tc.finished_at) }) : ""),
        h("p", { class: "sub" }, metricsText(tc.metrics || {})),
        (tc.reasons || []).length ? h("ul", { class: "reasons" }, tc.reasons.map((r) => h("li", {}, reasonText(r)))) : null,
        tc.retry ? h("p", { class: "sub" }, tx("retry")) : null);
    },
  };
}
