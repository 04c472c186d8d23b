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
- ``?format=csv`` gives the same rows as CSV (UTF-8 with BOM, so a spreadsheet
  shows Vietnamese correctly); reasons are joined with " | " in ``?lang=vi``
  (default) or ``en``.
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


def readiness_csv(rows: list[dict[str, Any]], lang: str = "vi") -> str:
    """The rows as CSV text (with a BOM); no cell can run as a spreadsheet formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            safe_row(
                [
                    r["code"],
                    r["name"],
                    r["region"],
                    "yes" if r["checked_in"] else "no",
                    r["verdict"] or "",
                    r["tested_at"] or "",
                    " | ".join(_reason_text(x, lang) for x in r["reasons"]),
                    *(r["metrics"].get(k, "") for k in KEY_METRICS),
                    r["link"]["state"] or "",
                    r["link"]["rtt_ms"] or "",
                    r["link"]["loss_pct"] or "",
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
            readiness_csv(rows, lang), media_type="text/csv; charset=utf-8", headers=headers
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
