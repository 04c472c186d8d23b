// Link numbers and charts: a tiny SVG sparkline per site tile, and a larger
// history chart for the site detail view. SVG attributes only, no markup strings.

import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const RTT_CEIL_MS = 600; // the top of the sparkline's scale; higher RTTs are clipped
const STATE_COLOURS = { online: "#34d36f", degraded: "#ffc233", offline: "#ff5c5c", unknown: "#6b7a90" };

export function svg(tag, attrs = {}) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** "35 ms · 0.1 %" (or "—" when not measured yet). */
export function linkNumbers(link) {
  if (!link || link.rtt_ms == null) return "—";
  const rtt = t("link.rtt", { ms: Math.round(link.rtt_ms) });
  return link.loss_pct != null ? `${rtt} · ${t("link.loss", { pct: fmtPct(link.loss_pct) })}` : rtt;
}

export function fmtPct(v) {
  return v >= 10 ? String(Math.round(v)) : (Math.round(v * 10) / 10).toFixed(1);
}

/** A sparkline element: <svg><polyline/></svg>; update it with drawSpark. */
export function sparkEl(cls = "spark") {
  const el = svg("svg", { class: cls, viewBox: "0 0 60 16", preserveAspectRatio: "none", "aria-hidden": "true" });
  el.appendChild(svg("polyline", { points: "" }));
  return el;
}

/** Draws the RTT of `ring` (oldest first, up to 60 points) across a sparkEl. */
export function drawSpark(el, ring) {
  const n = ring.length;
  let pts = "";
  for (let i = 0; i < n; i++) {
    const r = ring[i].rtt_ms;
    const y = r == null ? 16 : 15 - Math.min(r, RTT_CEIL_MS) / RTT_CEIL_MS * 14;
    const x = n > 1 ? (i / (n - 1)) * 60 : 60;
    pts += `${x.toFixed(1)},${y.toFixed(1)} `;
  }
  el.firstChild.setAttribute("points", pts);
}

/**
 * The detail view's chart: RTT as a line (left scale), loss as bars, and the link
 * state as a coloured band along the bottom; `samples` oldest first.
 */
export function historyChart(samples, { width = 760, height = 200 } = {}) {
  const root = svg("svg", { class: "history-chart", viewBox: `0 0 ${width} ${height}`, role: "img" });
  const title = svg("title");
  title.textContent = t("detail.chart_title");
  root.appendChild(title);
  if (!samples.length) return root;
  const t0 = samples[0].at;
  const t1 = Math.max(samples[samples.length - 1].at, t0 + 1);
  const band = 12;
  const plotH = height - band - 18;
  const maxRtt = Math.max(100, ...samples.map((s) => s.rtt_ms || 0));
  const x = (at) => ((at - t0) / (t1 - t0)) * (width - 44) + 40;
  const y = (v) => 4 + plotH - (v / maxRtt) * plotH;
  for (const v of [0, maxRtt / 2, maxRtt]) {
    root.appendChild(svg("line", { x1: 40, x2: width, y1: y(v), y2: y(v), class: "grid" }));
    const lab = svg("text", { x: 36, y: y(v) + 4, "text-anchor": "end", class: "axis" });
    lab.textContent = String(Math.round(v));
    root.appendChild(lab);
  }
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const x0 = x(s.at);
    const x1 = i + 1 < samples.length ? x(samples[i + 1].at) : width;
    root.appendChild(svg("rect", { x: x0, y: height - band, width: Math.max(1, x1 - x0), height: band,
      fill: STATE_COLOURS[s.state] || STATE_COLOURS.unknown }));
    if (s.loss_pct) {
      const hgt = Math.min(100, s.loss_pct) / 100 * plotH;
      root.appendChild(svg("rect", { x: x0, y: 4 + plotH - hgt, width: Math.max(1, x1 - x0), height: hgt, class: "loss" }));
    }
  }
  const pts = samples.filter((s) => s.rtt_ms != null).map((s) => `${x(s.at).toFixed(1)},${y(s.rtt_ms).toFixed(1)}`);
  root.appendChild(svg("polyline", { points: pts.join(" "), class: "rtt" }));
  return root;
}
