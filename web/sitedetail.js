// The operator's site detail view: who is there (technician, phone), the link now
// and over the last half hour (from the hub's link-history route, then live
// `links` frames), the site's faults and its latest test-call result.

import { t } from "./i18n.js";
import { h, fill, button, agoEl, clock, ask, tick } from "./ui.js";
import { historyChart, linkNumbers, fmtPct } from "./spark.js";
import { faultDescription } from "./messages.js";
import { threadBox } from "./threads.js";

const HISTORY_MS = 30 * 60 * 1000;

export function siteDetail(ctx) {
  let code = null;
  let samples = [];
  let sourceSamples = {}; // source -> its stored samples (the hub's ring of that source)
  let loading = false;
  let dlg = null;
  let body = null;
  let thread = null; // kept across renders: what is being typed survives a redraw

  async function open(siteCode) {
    close();
    code = siteCode;
    samples = [];
    sourceSamples = {};
    loading = true;
    body = h("div", { class: "detail-body" });
    thread = threadBox(ctx, siteCode, "centre");
    dlg = h("dialog", { class: "site-detail", "aria-label": siteCode }, body);
    dlg.addEventListener("close", () => {
      dlg?.remove();
      dlg = null;
      code = null;
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    render(ctx.store.state);
    const link = ctx.store.state.sites[siteCode]?.link || {};
    const main = link.source || "console";
    const sources = Object.keys(link.sources || { [main]: true });
    const got = await Promise.all(sources.map((source) => fetchHistory(siteCode, source)));
    if (code === siteCode) {
      sources.forEach((source, i) => (sourceSamples[source] = got[i]));
      samples = sourceSamples[main] || [];
      ctx.store.history.seed(siteCode, samples);
    }
    loading = false;
    if (code === siteCode) render(ctx.store.state);
  }

  async function fetchHistory(siteCode, source) {
    try {
      const { token, conference } = ctx.session;
      const since = ctx.now() - HISTORY_MS;
      const res = await fetch(`/api/conferences/${encodeURIComponent(conference)}/sites/` +
        `${encodeURIComponent(siteCode)}/link?since=${since}&source=${source}`,
      { headers: { Authorization: `Bearer ${token}` } });
      return res.ok ? (await res.json()).samples || [] : [];
    } catch (err) {
      console.warn("link history", err);
      return [];
    }
  }

  function close() {
    if (dlg) dlg.close();
  }

  // One card per configured source, side by side: the bridge's view, the endpoint's
  // probes, the technician's console; the one the link follows is marked.
  function sourceCards(link) {
    const entries = Object.entries(link.sources || { console: link });
    return h("div", { class: "sources" }, entries.map(([name, e]) => {
      const st = e.state || "unknown";
      const extra = [];
      if (name === "bridge" && e.in_call != null) extra.push(t(e.in_call ? "source.in_call" : "source.not_in_call"));
      if (e.target) extra.push(t("source.target", { target: e.target }));
      if (name === "console") extra.push(t(`presence.${link.presence || (e.sessions ? "online" : "offline")}`));
      const directions = ["rx", "tx"].filter((d) => e[d]).map((d) =>
        h("p", { class: "sub" }, `${t(`source.${d}`)}: ${linkNumbers(e[d])}`));
      return h("section", { class: `source-card${name === (link.source || "console") ? " follows" : ""}`, "data-source": name },
        h("div", { class: "label" }, t(`source.title.${name}`)),
        h("p", {}, h("span", { class: `link-pill small link-${st}` }, t(`link.${st}`)),
          e.flapping ? h("span", { class: "badge flap inline" }, t("link.flapping")) : null),
        h("p", {}, linkNumbers(e), e.jitter_ms != null ? ` · ${t("link.jitter", { ms: Math.round(e.jitter_ms) })}` : ""),
        directions,
        extra.length ? h("p", { class: "sub" }, extra.join(" · ")) : null,
        (sourceSamples[name] || []).length ? historyChart(sourceSamples[name], { width: 320, height: 90 }) : null);
    }));
  }

  function chartSamples() {
    const last = samples.length ? samples[samples.length - 1].at : 0;
    return samples.concat(ctx.store.history.get(code).filter((x) => x.at > last));
  }

  function changes(list) {
    const out = [];
    for (let i = 1; i < list.length; i++) {
      if (list[i].state !== list[i - 1].state) out.push({ at: list[i].at, from: list[i - 1].state, to: list[i].state });
    }
    return out.slice(-8).reverse();
  }

  function render(state) {
    if (!dlg || !code) return;
    const s = state.sites[code];
    if (!s) return;
    const link = s.link || {};
    const st = s.status || {};
    const faults = Object.values(state.faults).filter((f) => f.site === code)
      .sort((a, b) => b.reported_at - a.reported_at);
    const tc = state.testcalls?.[code];
    const list = chartSamples();
    const focused = document.activeElement?.dataset?.act;
    fill(body,
      h("div", { class: "detail-head" },
        h("h3", {}, `${s.code} · ${s.name}`),
        s.region ? h("span", { class: "sub" }, s.region) : null,
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "ghost", "data-act": "close", onclick: close }, t("close"))),
      h("div", { class: "detail-grid" },
        h("section", {},
          h("div", { class: "label" }, t("detail.people")),
          h("p", {}, `${t("site.technician")}: `, h("strong", {}, s.technician || "—")),
          h("p", {}, `${t("site.phone")}: `, s.phone ? h("a", { href: `tel:${s.phone.replace(/\s+/g, "")}` }, s.phone) : "—"),
          h("p", {}, s.checked_in ? t("site.checked_in_at", { time: clock(s.checked_in_at) }) : t("sites.not_checked_in"),
            s.delegates != null ? ` · ${t("sites.delegates", { n: s.delegates })}` : ""),
          h("p", {}, `${t("site.audio")}: ${t(`health.${st.audio || "unknown"}`)} · ${t("site.video")}: ` +
            `${t(`health.${st.video || "unknown"}`)}`, st.note ? ` · ${st.note}` : "")),
        h("section", {},
          h("div", { class: "label" }, t("detail.link")),
          h("p", {}, h("span", { class: `link-pill small link-${link.state || "unknown"}` }, t(`link.${link.state || "unknown"}`)),
            link.flapping ? h("span", { class: "badge flap inline" }, t("link.flapping")) : null,
            link.since ? [" ", t("detail.since"), " ", agoEl(link.since)] : null),
          h("p", {}, linkNumbers(link), link.jitter_ms != null ? ` · ${t("link.jitter", { ms: Math.round(link.jitter_ms) })}` : ""),
          link.source ? h("p", { class: "sub" }, t("source.follows", { source: t(`source.title.${link.source}`) })) : null,
          link.sessions != null ? h("p", { class: "sub" }, t("detail.sessions", { n: link.sessions })) : null)),
      link.sources ? sourceCards(link) : null,
      h("div", { class: "label" }, t("detail.history")),
      loading ? h("p", { class: "sub" }, t("loading")) : list.length ? historyChart(list) : h("p", { class: "empty" }, t("detail.no_samples")),
      h("ul", { class: "changes" }, changes(list).map((c) =>
        h("li", {}, `${clock(c.at)} · ${t(`link.${c.from}`)} → ${t(`link.${c.to}`)}`))),
      h("div", { class: "detail-grid" },
        h("section", {},
          h("div", { class: "label" }, t("faults.title")),
          faults.length ? h("ul", { class: "detail-faults" }, faults.map((f) =>
            h("li", { class: `sev-${f.severity}` },
              h("span", { class: "fstate" }, t(`fstate.${f.state}`)), " ",
              `${f.fault_id} · ${clock(f.reported_at)} · ${t(`cat.${f.category}`)}: `, faultDescription(f, state))))
            : h("p", { class: "empty" }, t("faults.empty"))),
        h("section", {},
          h("div", { class: "label" }, t("detail.testcall")),
          tc ? testcall(tc) : h("p", { class: "empty" }, t("detail.no_testcall")))),
      h("div", { class: "label" }, t("thread.title_site")),
      thread.el,
      h("div", { class: "row wrap end" },
        ctx.can("testcall.start") ? button(t("sites.testcall"),
          () => ctx.cmd("testcall.start", { site: code }, t("done.sent"))) : null,
        ctx.can("fault.report") ? button(t("sites.report_fault"), async () => {
          const text = await ask(t("sites.report_fault"), t("site.description"));
          if (text) ctx.cmd("fault.report", { site: code, category: "other", severity: "major", description: text },
            (r) => t("site.reported", { id: r.fault_id }));
        }) : null));
    thread.render(state);
    tick(body, ctx.now());
    if (focused) body.querySelector(`[data-act="${focused}"]`)?.focus();
  }

  function testcall(tc) {
    const m = tc.metrics || {};
    const nums = [];
    if (m.rtt_ms != null || m.rtt_p50_ms != null) nums.push(t("link.rtt", { ms: Math.round(m.rtt_p50_ms ?? m.rtt_ms) }));
    if (m.loss_pct != null) nums.push(t("link.loss", { pct: fmtPct(m.loss_pct) }));
    if (m.jitter_ms != null) nums.push(t("link.jitter", { ms: Math.round(m.jitter_ms) }));
    if (m.mos != null) nums.push(`MOS ${Number(m.mos).toFixed(1)}`);
    return h("div", {},
      h("p", {}, tc.verdict ? h("span", { class: `badge tc tc-${tc.verdict} inline` }, t(`verdict.${tc.verdict}`))
        : t("detail.testcall_running"), " ", clock(tc.finished_at || tc.started_at)),
      nums.length ? h("p", {}, nums.join(" · ")) : null,
      (tc.reasons || []).length ? h("ul", {}, tc.reasons.map((r) => h("li", {}, r))) : null);
  }

  return { open, close, render, get code() { return code; } };
}
