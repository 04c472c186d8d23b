"""The readiness board: is every site ready for tomorrow? One row per site, worst first.

Rules:

- A row holds the site (code, name, region), whether it checked in, its latest
  test call (verdict, when, the reasons, and the key metrics), its link right now
  (the live monitor's view when there is one, else the durable state) and its
  technician and phone.
- Worst first: a ``fail`` verdict, then never tested, then a call running, then
  ``warn``, then ``pass``; within each, a site not checked in, then a link
  ``offline``, ``unknown``, ``degraded``, ``online``; then by code. The central
  site is listed too (it may be tested like any other).
- ``?format=csv`` gives the same rows as CSV for a spreadsheet, in the reader's
  language (``?lang=vi``, the default, or ``en``): headers and words (verdict, link
  state, yes/no) from the report's glossary, times as dd/mm/yyyy hh:mm:ss in the
  conference's zone, reasons joined with " | ". In Vietnamese it is the CSV a
  Vietnamese Excel opens as a table: semicolons between cells, a decimal comma.
  UTF-8 with a BOM, so a spreadsheet shows Vietnamese correctly.
- Read-only: built from the durable state, never from a decision in flight.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from controlroom.csv_safety import safe_row
from controlroom.domain import ConferenceState
from controlroom.report import i18n
from controlroom.service.hub import ConferenceHub
from controlroom.service.links import LinkMonitor

VERDICT_RANK = {"fail": 0, None: 1, "running": 2, "warn": 3, "pass": 4}
LINK_RANK = {"offline": 0, "unknown": 1, "degraded": 2, "online": 3}
KEY_METRICS = (
    "setup_ms",
    "rtt_ms",
    "rtt_p95_ms",
    "jitter_ms",
    "loss_pct",
    "mos",
    "audio_level_dbfs",
    "video_fps",
    "video_width",
    "video_height",
)
# The CSV's columns (the labels of the report's glossary) and the words for the
# metrics, which only this table has.
CSV_COLUMNS = (
    "code",
    "name",
    "region",
    "checked_in",
    "verdict",
    "tested_at",
    "reasons",
    *KEY_METRICS,
    "link_state",
    "link_rtt_ms",
    "link_loss_pct",
    "technician",
    "phone",
)
CSV_LABELS: dict[str, tuple[str, str]] = {
    "region": ("Khu vực", "Region"),
    "checked_in": ("Đã điểm danh", "Checked in"),
    "setup_ms": ("Thời gian thiết lập (ms)", "Setup (ms)"),
    "rtt_ms": ("RTT (ms)", "RTT (ms)"),
    "rtt_p95_ms": ("RTT p95 (ms)", "p95 RTT (ms)"),
    "jitter_ms": ("Jitter (ms)", "Jitter (ms)"),
    "loss_pct": ("Mất gói (%)", "Loss (%)"),
    "audio_level_dbfs": ("Mức âm thanh (dBFS)", "Audio level (dBFS)"),
    "video_fps": ("Khung hình/giây", "Frames per second"),
    "video_width": ("Chiều rộng hình (px)", "Video width (px)"),
    "video_height": ("Chiều cao hình (px)", "Video height (px)"),
    "link_state": ("Đường truyền hiện tại", "Link now"),
    "link_rtt_ms": ("RTT hiện tại (ms)", "RTT now (ms)"),
    "link_loss_pct": ("Mất gói hiện tại (%)", "Loss now (%)"),
    "technician": ("Kỹ thuật viên", "Technician"),
    "phone": ("Điện thoại", "Phone"),
}


def readiness_rows(
    state: ConferenceState, live_links: Mapping[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per site, worst first."""
    rows: list[dict[str, Any]] = []
    for code, site in state.sites.items():
        tc = state.testcalls.get(code) or {}
        verdict = "running" if tc.get("state") == "running" else tc.get("verdict")
        link = dict(site.link)
        if live_links and code in live_links:
            link.update({k: v for k, v in live_links[code].items() if v is not None})
        metrics = tc.get("metrics") or {}
        rows.append(
            {
                "code": code,
                "name": site.name,
                "region": site.region,
                "kind": site.kind,
                "checked_in": site.checked_in,
                "verdict": verdict,
                "call": tc.get("call"),
                "tested_at": tc.get("finished_at") or tc.get("started_at"),
                "reasons": list(tc.get("reasons") or []),
                "metrics": {k: metrics[k] for k in KEY_METRICS if k in metrics},
                "link": {k: link.get(k) for k in ("state", "rtt_ms", "jitter_ms", "loss_pct")},
                "technician": site.technician,
                "phone": site.phone,
            }
        )
    rows.sort(key=_rank)
    return rows


def _rank(row: dict[str, Any]) -> tuple[int, bool, int, str]:
    return (
        VERDICT_RANK.get(row["verdict"], 1),
        bool(row["checked_in"]),
        LINK_RANK.get(str(row["link"]["state"]), 1),
        str(row["code"]),
    )


def _reason_text(reason: Any, lang: str) -> str:
    if isinstance(reason, dict):
        return str(reason.get(lang) or reason.get("en") or reason.get("code") or "")
    return str(reason)


def _label(key: str, lang: str) -> str:
    pair = CSV_LABELS.get(key)
    if pair is None:
        return i18n.t(key, lang)
    return pair[1] if lang == "en" else pair[0]


def _num(value: Any, lang: str) -> str:
    """A figure as the reader's spreadsheet reads it (a decimal comma in Vietnamese)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return i18n.number(value, lang, digits=2 if isinstance(value, float) else 0)


def readiness_csv(
    rows: list[dict[str, Any]], lang: str = "vi", tz: str = "Asia/Ho_Chi_Minh"
) -> str:
    """The rows as CSV text (with a BOM) in ``lang``; no cell can run as a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if lang == "vi" else ",", lineterminator="\r\n")
    writer.writerow([_label(c, lang) for c in CSV_COLUMNS])
    for r in rows:
        link_state = r["link"]["state"]
        writer.writerow(
            safe_row(
                [
                    r["code"],
                    r["name"],
                    r["region"],
                    i18n.t("yes" if r["checked_in"] else "no", lang),
                    i18n.t(r["verdict"] or "not_tested", lang),
                    i18n.clock(r["tested_at"], tz, with_date=True),
                    " | ".join(_reason_text(x, lang) for x in r["reasons"]),
                    *(_num(r["metrics"].get(k), lang) for k in KEY_METRICS),
                    i18n.t(str(link_state), lang) if link_state else "",
                    _num(r["link"]["rtt_ms"], lang),
                    _num(r["link"]["loss_pct"], lang),
                    r["technician"],
                    r["phone"],
                ]
            )
        )
    return out.getvalue()


def readiness_response(
    hub: ConferenceHub, monitor: LinkMonitor | None, query: Mapping[str, str]
) -> Response:
    """``GET /api/conferences/{C}/readiness[?format=csv&lang=en]``."""
    live = {code: link.frame() for code, link in monitor.sites.items()} if monitor else None
    rows = readiness_rows(hub.durable, live)
    if query.get("format") == "csv":
        lang = "en" if query.get("lang") == "en" else "vi"
        headers = {"Content-Disposition": f'attachment; filename="{hub.id}-readiness.csv"'}
        return Response(
            readiness_csv(rows, lang, hub.durable.conference.timezone),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("pass", "warn", "fail")}
    counts["untested"] = sum(1 for r in rows if r["verdict"] is None)
    counts["checked_in"] = sum(1 for r in rows if r["checked_in"])
    return JSONResponse(
        {
            "conference": hub.id,
            "seq": hub.durable_seq,
            "campaign": hub.durable.campaign,
            "counts": counts,
            "sites": rows,
        }
    )
