"""Serving the report over HTTP: ``GET /api/conferences/{C}/report``.

Rules:

- Roles ``admin``, ``operator`` and ``chair`` only (the route checks; see
  :data:`REPORT_ROLES`).
- ``format=html`` (default), ``json``, ``csv``, ``xlsx`` (every table a sheet) or
  ``document`` (the summary document leaders sign, with the report as its technical
  annex: ``document.py``); ``lang=vi`` (default) or ``en``.
  CSV without ``table`` is a zip of every table; ``table=<name>`` gives that one
  table as ``text/csv`` (an unknown name is 422).
- Built from the hub's durable records (never the speculative state) and verified
  like the offline report, so the two agree. Building is CPU work: it runs in a
  worker thread so the event loop keeps serving sessions meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import JSONResponse, Response

from controlroom.report.document import render_document
from controlroom.report.export import csv_table, csv_zip, to_json, xlsx_book
from controlroom.report.html import render_html
from controlroom.report.model import build_report
from controlroom.report.source import from_records
from controlroom.report.tables import TABLE_NAMES
from signaling.errors import error_frame

REPORT_ROLES = frozenset({"admin", "operator", "chair"})
FORMATS = ("html", "json", "csv", "xlsx", "document")


async def live_report(hub: Any, generated_at: int | None = None) -> dict[str, Any]:
    """The report of a running hub, from every durable record of its log."""
    records = await hub.events_after(0)

    def build() -> dict[str, Any]:
        extract = from_records(hub.id, records)
        return build_report(
            hub.config,
            extract.events,
            extract.verification,
            head_hash=extract.head_hash,
            generated_at=generated_at,
            checkpoints=extract.checkpoints,
        )

    return await asyncio.to_thread(build)


def _bad(message: str, field: str) -> JSONResponse:
    return JSONResponse(error_frame("invalid_args", message, field=field), status_code=422)


async def report_response(hub: Any, params: Any, now_ms: int) -> Response:
    """The HTTP response for the query ``params`` (format, lang, table)."""
    fmt = params.get("format", "html")
    lang = params.get("lang", "vi")
    table = params.get("table")
    if fmt not in FORMATS:
        return _bad(f"format must be one of {', '.join(FORMATS)}", "format")
    if lang not in ("vi", "en"):
        return _bad("lang must be vi or en", "lang")
    if table is not None and table not in TABLE_NAMES:
        return _bad(f"table must be one of {', '.join(TABLE_NAMES)}", "table")
    report = await live_report(hub, now_ms)
    name = f"report-{hub.id}"
    if fmt == "json":
        return Response(to_json(report), media_type="application/json")
    if fmt == "csv":
        excel = params.get("for") == "excel"
        if table is not None:
            text = csv_table(report, table, lang, excel) or ""
            headers = {"content-disposition": f'attachment; filename="{name}-{table}.csv"'}
            return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
        headers = {"content-disposition": f'attachment; filename="{name}-csv.zip"'}
        return Response(csv_zip(report, lang, excel), media_type="application/zip", headers=headers)
    if fmt == "xlsx":
        book = await asyncio.to_thread(xlsx_book, report, lang)
        headers = {"content-disposition": f'attachment; filename="{name}.xlsx"'}
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(book, media_type=xlsx, headers=headers)
    if fmt == "document":
        config = hub.config
        page = render_document(report, config.document, lang, config.directory)
        return Response(page, media_type="text/html; charset=utf-8")
    return Response(render_html(report, lang), media_type="text/html; charset=utf-8")
