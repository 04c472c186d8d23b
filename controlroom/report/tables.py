"""The report's tables, defined once for the HTML and the CSV renderers.

Rules: a :class:`Table` is a name (the CSV file name and ``?table=`` value), a title,
typed columns and rows of raw values taken from the report model. Renderers format
by column kind: ``text``, ``int``, ``num`` (one decimal), ``ratio`` (0..1 shown as a
percentage), ``time`` (Unix ms in the conference's zone), ``dur`` (seconds), ``enum``
(a word translated through :mod:`controlroom.report.i18n`) and ``bool``. CSV keeps
numbers as numbers (seconds, ratios) and times as ISO 8601; HTML formats them for
people. :data:`TABLE_NAMES` lists every table, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controlroom.report.i18n import iso, number

TABLE_NAMES = (
    "sites",
    "faults",
    "fault_times",
    "fault_breakdown",
    "speeches",
    "speaking_sites",
    "runscript",
    "testcalls",
    "followup",
    "audit",
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the model key, the label key and how to format it."""

    key: str
    label: str
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the report."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]


def _c(spec: str) -> tuple[Column, ...]:
    """Columns from ``"key:label:kind key2:label2 ..."`` (label defaults to key, kind to text)."""
    out = []
    for part in spec.split():
        key, label, kind = (part.split(":") + ["", ""])[:3]
        out.append(Column(key, label or key, kind or "text"))
    return tuple(out)


def _times_row(scope: str, item: dict[str, Any]) -> dict[str, Any]:
    ack, res = item["time_to_ack"], item["time_to_resolve"]
    return {
        "scope": scope,
        "count": item["count"],
        "ack_median": ack["median"],
        "ack_p90": ack["p90"],
        "ack_worst": ack["worst"],
        "res_median": res["median"],
        "res_p90": res["p90"],
        "res_worst": res["worst"],
        "open": item.get("open"),
    }


def tables(report: dict[str, Any]) -> list[Table]:
    """Every table of ``report`` (a :func:`build_report` value), in :data:`TABLE_NAMES` order."""
    att, faults, sp = report["attendance"], report["faults"], report["speaking"]
    overall = {
        "count": faults["count"],
        "time_to_ack": faults["time_to_ack"],
        "time_to_resolve": faults["time_to_resolve"],
        "open": len(faults["still_open"]),
    }
    breakdown = [
        {"dimension": dim, "value": value, "count": count}
        for dim, key in (
            ("category", "by_category"),
            ("severity", "by_severity"),
            ("site", "by_site"),
        )
        for value, count in faults[key].items()
    ]
    testcalls = [
        {
            **row,
            "reasons": {lang: "; ".join(r[lang] for r in row["reasons"]) for lang in ("vi", "en")},
            "metrics": {lang: _metrics(row["metrics"], lang) for lang in ("vi", "en")},
        }
        for row in report["testcalls"]["sites"]
    ]
    audit = report["audit"]
    audit_rows = [{"key": "chain", "value": "verified" if audit["ok"] else "broken"}] + [
        {"key": label, "value": "" if audit.get(k) is None else str(audit.get(k))}
        for k, label in (
            ("count", "event_count"),
            ("first_seq", "first_seq"),
            ("last_seq", "last_seq"),
            ("broken_seq", "broken_at"),
            ("head_hash", "head_hash"),
        )
    ]
    if not audit["ok"]:  # what broke, as a code the table renders in its language
        code = audit.get("reason_code")
        audit_rows.insert(
            5, {"key": "reason", "value": f"broken.{code}" if code else audit.get("reason", "")}
        )
    signed = audit.get("checkpoints") or {}
    audit_rows += [
        {"key": label, "value": "" if value is None else str(value)}
        for label, value in (
            ("checkpoint_count", signed.get("count", 0)),
            ("signed_through", signed.get("signed_seq")),
            ("signed_at", iso(signed.get("signed_at"), report["conference"]["timezone"]) or None),
            ("signing_key", signed.get("key")),
            ("unsigned_events", signed.get("unsigned")),
            ("checkpoint_problems", "; ".join(signed.get("problems") or []) or None),
        )
    ]
    return [
        Table(
            "sites",
            "attendance",
            _c(
                "site:code name checked_in_at::time source:link_source:enum "
                "connected_s:connected:dur share::ratio presence_s:presence:dur "
                "online_s:online:dur degraded_s:degraded:dur offline_s:offline:dur "
                "unknown_s:unknown:dur dropouts::int longest_outage_s:longest_outage:dur "
                "rtt_median_ms:rtt_median:num rtt_p95_ms:rtt_p95:num "
                "loss_median_pct:loss_median:num loss_p95_pct:loss_p95:num"
            ),
            att["sites"],
        ),
        Table(
            "faults",
            "faults",
            _c(
                "fault_id site category::enum severity::enum reported_at::time "
                "ack_s:to_ack:dur resolve_s:to_resolve:dur state::enum escalated::bool "
                "description::words"
            ),
            faults["faults"],
        ),
        Table(
            "fault_times",
            "fault_times",
            _c(
                "scope count::int ack_median::dur ack_p90::dur ack_worst::dur "
                "res_median::dur res_p90::dur res_worst::dur open:open_now:int"
            ),
            [_times_row("*", overall)]
            + [_times_row(item["site"], item) for item in faults["per_site"]],
        ),
        Table(
            "fault_breakdown",
            "fault_breakdown",
            _c("dimension::enum value::enum count::int"),
            breakdown,
        ),
        Table(
            "speeches",
            "speeches",
            _c(
                "request_id:fault_id site speaker title start::time duration_s:duration:dur "
                "limit_s:limit:dur overrun_s:overrun:dur"
            ),
            sp["list"],
        ),
        Table(
            "speaking_sites",
            "speaking_sites",
            _c(
                "site requests::int approved::int rejected::int withdrawn::int "
                "speeches:speech_count:int total_s:total:dur overrun_s:overrun:dur"
            ),
            sp["per_site"],
        ),
        Table(
            "runscript",
            "runscript",
            _c(
                "order::int content presenter site planned_start::time actual_start::time "
                "delay_s:delay:dur planned_duration_s:planned_duration:dur "
                "actual_duration_s:actual_duration:dur overrun_s:overrun:dur status::enum"
            ),
            report["runscript"]["items"],
        ),
        Table(
            "testcalls",
            "testcalls",
            _c(
                "site name verdict::enum mos::num metrics::words reasons::words retries::int "
                "at:tested_at:time"
            ),
            testcalls,
        ),
        Table(
            "followup",
            "followup",
            _c(
                "conclusion_id:conclusion text:content deadline::time site name state::enum "
                "percent::int overdue::bool last_report accepted_at::time"
            ),
            report.get("followup", {}).get("rows", []),
        ),
        Table("audit", "audit", _c("key:item:enum value::enum"), audit_rows),
    ]


# The figures of a test call a reader looks at, in this order, with their words.
_SUMMARY = (
    ("rtt_ms", "RTT", "RTT", "ms", 0),
    ("jitter_ms", "jitter", "jitter", "ms", 0),
    ("loss_pct", "mất gói", "loss", "%", 1),
    ("video_fps", "khung hình/giây", "fps", "", 0),
    ("setup_ms", "thiết lập", "setup", "ms", 0),
)


def _metrics(metrics: dict[str, Any], lang: str) -> str:
    """A test call's key figures in words ("RTT 35 ms · mất gói 0,0 %"), not every metric."""
    parts = []
    for key, vi, en, unit, digits in _SUMMARY:
        value = metrics.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = number(
                round(float(value), digits) if digits else int(round(value)), lang, digits
            )
            parts.append(f"{vi if lang == 'vi' else en} {shown}{' ' + unit if unit else ''}")
    return " · ".join(parts)
