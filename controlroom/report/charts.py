"""Inline SVG charts of the report (no JavaScript, no external files).

Rules: each function takes the report model and returns one ``<svg>`` element as text,
with every string escaped. Sizes are bounded whatever the log's length: the link strip
divides the window into :data:`STRIP_COLUMNS` columns and colours each by the worst
state the site was in during that column (offline > degraded > not connected >
online), so one short outage stays visible; the fault chart has :data:`FAULT_BARS`
bars. Colours print (the HTML asks the browser to keep them).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from controlroom.report.i18n import clock, duration_words, t

STRIP_COLUMNS = 240
FAULT_BARS = 24
WIDTH = 720
COLORS = {
    "online": "#2e7d32",
    "degraded": "#f9a825",
    "offline": "#c62828",
    "unknown": "#cfd8dc",
    "critical": "#c62828",
    "major": "#ef6c00",
    "minor": "#5c6bc0",
}
_RANK = {"online": 0, "unknown": 1, "degraded": 2, "offline": 3}
_BY_RANK = {v: k for k, v in _RANK.items()}


def _svg(height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _ticks(start: int, end: int, x0: float, width: float, y: float, tz: str) -> list[str]:
    span = max(1, end - start)
    steps = [60_000 * m for m in (1, 2, 5, 10, 15, 30, 60, 120, 240, 720, 1440)]
    step = next((s for s in steps if span / s <= 8), steps[-1])
    out = []
    first = math.ceil(start / step) * step
    for at in range(first, end + 1, step):
        x = x0 + (at - start) / span * width
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{y:.1f}" class="grid"/>')
        text = clock(at, tz)[:5]
        out.append(f'<text x="{x:.1f}" y="{y + 11:.1f}" class="tick">{escape(text)}</text>')
    return out


def _legend(keys: list[str], y: float, lang: str) -> list[str]:
    out, x = [], 60.0
    for key in keys:
        out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{COLORS[key]}"/>')
        label = escape(t(key, lang))
        out.append(f'<text x="{x + 14}" y="{y + 9}" class="lbl">{label}</text>')
        x += 24 + 7 * len(t(key, lang))
    return out


def _namer(report: dict[str, Any]) -> Any:
    """A site's name for a chart's label (a leader reads names, not codes), cut short."""
    names = {r["site"]: r["name"] for r in report["attendance"]["sites"]}

    def name(code: str) -> str:
        text = names.get(code) or code
        return text if len(text) <= 22 else text[:21] + "…"

    return name


def link_strip(report: dict[str, Any], lang: str) -> str:
    """Sites × time: each site's link state across the conference window."""
    window, tz = report["window"], report["conference"]["timezone"]
    start, end = window["start"], window["end"]
    span = max(1, end - start)
    x0, plot, row = 130.0, WIDTH - 136.0, 11
    body: list[str] = []
    timeline = report["attendance"]["timeline"]
    name = _namer(report)
    for index, site in enumerate(timeline):
        y = index * row
        cells = [-1] * STRIP_COLUMNS
        for a, b, state in site["intervals"]:
            first = int((a - start) / span * STRIP_COLUMNS)
            last = max(first, math.ceil((b - start) / span * STRIP_COLUMNS) - 1)
            rank = _RANK.get(state, 1)
            for col in range(max(0, first), min(STRIP_COLUMNS - 1, last) + 1):
                if rank > cells[col]:
                    cells[col] = rank
        body.append(f'<text x="0" y="{y + 8}" class="lbl">{escape(name(site["site"]))}</text>')
        col = 0
        while col < STRIP_COLUMNS:
            rank, run = cells[col], 1
            while col + run < STRIP_COLUMNS and cells[col + run] == rank:
                run += 1
            if rank >= 0:
                x = x0 + col * plot / STRIP_COLUMNS
                w = run * plot / STRIP_COLUMNS
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 2}" '
                    f'fill="{COLORS[_BY_RANK[rank]]}"/>'
                )
            col += run
    height = len(timeline) * row
    body += _ticks(start, end, x0, plot, height, tz)
    body += _legend(["online", "degraded", "offline", "unknown"], height + 18, lang)
    return _svg(height + 32, t("strip", lang), body)


def faults_over_time(report: dict[str, Any], lang: str) -> str:
    """Faults reported per slice of time, stacked by severity."""
    faults = report["faults"]["faults"]
    window, tz = report["window"], report["conference"]["timezone"]
    times = [f["reported_at"] for f in faults]
    start = min([window["start"], *times])
    end = max([window["end"], *times, start + 60_000])
    span = end - start
    x0, plot, height = 40.0, WIDTH - 50.0, 120.0
    counts = [dict.fromkeys(("critical", "major", "minor"), 0) for _ in range(FAULT_BARS)]
    for f in faults:
        index = min(FAULT_BARS - 1, int((f["reported_at"] - start) / span * FAULT_BARS))
        severity = f["severity"] if f["severity"] in counts[0] else "minor"
        counts[index][severity] += 1
    top = max([sum(c.values()) for c in counts] + [1])
    body = [f'<text x="0" y="10" class="tick">{top}</text>']
    body.append(f'<text x="0" y="{height}" class="tick">0</text>')
    bar = plot / FAULT_BARS
    for index, bucket in enumerate(counts):
        y = height
        for severity in ("critical", "major", "minor"):
            n = bucket[severity]
            if not n:
                continue
            h = n / top * (height - 10)
            y -= h
            body.append(
                f'<rect x="{x0 + index * bar + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[severity]}"><title>{n}</title></rect>'
            )
    body += _ticks(start, end, x0, plot, height, tz)
    body += _legend(["critical", "major", "minor"], height + 18, lang)
    return _svg(height + 32, t("faults_chart", lang), body)


def speaking_per_site(report: dict[str, Any], lang: str, limit: int = 40) -> str:
    """Total speaking time of each site that spoke (the longest first)."""
    rows = [r for r in report["speaking"]["per_site"] if r["total_s"] > 0][:limit]
    top = max([r["total_s"] for r in rows] + [1])
    x0, plot, row = 130.0, WIDTH - 230.0, 16
    body: list[str] = []
    name = _namer(report)
    for index, r in enumerate(rows):
        y = index * row
        w = r["total_s"] / top * plot
        body.append(f'<text x="0" y="{y + 11}" class="lbl">{escape(name(r["site"]))}</text>')
        body.append(
            f'<rect x="{x0}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="#1565c0"/>'
        )
        label = escape(duration_words(r["total_s"], lang))
        body.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 11}" class="lbl">{label}</text>')
    if not rows:
        body.append(f'<text x="0" y="12" class="lbl">{escape(t("no_rows", lang))}</text>')
    return _svg(max(len(rows), 1) * row + 4, t("speaking_chart", lang), body)
