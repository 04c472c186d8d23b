"""Faults in the report: counts, time to acknowledge and to resolve, what is still open.

Rules:

- Every fault in the log counts, whenever it was reported.
- *Time to acknowledge* = the first ``fault.acknowledged`` minus ``fault.reported``;
  *time to resolve* = the first ``fault.resolved`` minus ``fault.reported`` (a fault
  resolved without an acknowledgement has a time to resolve and none to acknowledge).
- Summaries (median, nearest-rank p90, worst) are given overall and per site, over
  the faults that reached that step.
- *Still open*: the fault's state after the last event is ``open``, ``acknowledged``
  or ``reopened``. *Escalations*: every ``fault.escalated`` event.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from controlroom.domain.model import Event
from controlroom.report.messages import both
from controlroom.report.stats import seconds, summary

OPEN = frozenset({"open", "acknowledged", "reopened"})
_STATE_AFTER = {
    "fault.acknowledged": "acknowledged",
    "fault.resolved": "resolved",
    "fault.confirmed": "confirmed",
    "fault.reopened": "reopened",
}


class Faults:
    """Folds ``fault.*`` events; :meth:`result` gives the section."""

    def __init__(self, site_names: dict[str, str] | None = None) -> None:
        self.site_names = site_names or {}
        self.faults: dict[str, dict[str, Any]] = {}
        self.escalations: list[dict[str, Any]] = []

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        d = event.data
        if event.name == "fault.reported":
            self.faults[d["fault_id"]] = {
                "fault_id": d["fault_id"],
                "site": d.get("site"),
                "category": d.get("category", "other"),
                "severity": d.get("severity", "minor"),
                # The hub's own texts are codes: in the words of the report's language.
                "description": both(
                    d.get("description_code"),
                    d.get("description", ""),
                    lambda code: self.site_names.get(code, code),
                ),
                "reported_at": event.at,
                "reported_by": event.actor.account,
                "acknowledged_at": None,
                "resolved_at": None,
                "state": "open",
                "escalated": False,
                "reopened": 0,
                "assignee": None,
                "resolution": None,
            }
            return
        fault = self.faults.get(d.get("fault_id", ""))
        if fault is None:
            return
        fault["state"] = _STATE_AFTER.get(event.name, fault["state"])
        if event.name == "fault.acknowledged" and fault["acknowledged_at"] is None:
            fault["acknowledged_at"] = event.at
        elif event.name == "fault.resolved":
            fault["resolution"] = d.get("resolution")
            if fault["resolved_at"] is None:
                fault["resolved_at"] = event.at
        elif event.name == "fault.reopened":
            fault["reopened"] += 1
        elif event.name == "fault.assigned":
            fault["assignee"] = d.get("assignee")
        elif event.name == "fault.escalated":
            fault["escalated"] = True
            self.escalations.append(
                {"fault_id": fault["fault_id"], "site": fault["site"], "at": event.at}
            )

    def result(self) -> dict[str, Any]:
        """The faults section."""
        rows = []
        for f in self.faults.values():
            ack = f["acknowledged_at"]
            res = f["resolved_at"]
            rows.append(
                {
                    **f,
                    "ack_s": None if ack is None else seconds(ack - f["reported_at"]),
                    "resolve_s": None if res is None else seconds(res - f["reported_at"]),
                }
            )
        by_site: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_site.setdefault(row["site"], []).append(row)
        return {
            "count": len(rows),
            "by_category": dict(Counter(r["category"] for r in rows).most_common()),
            "by_severity": dict(Counter(r["severity"] for r in rows).most_common()),
            "by_site": dict(Counter(r["site"] for r in rows).most_common()),
            "time_to_ack": _times(rows, "ack_s"),
            "time_to_resolve": _times(rows, "resolve_s"),
            "per_site": [
                {
                    "site": site,
                    "count": len(items),
                    "time_to_ack": _times(items, "ack_s"),
                    "time_to_resolve": _times(items, "resolve_s"),
                    "open": sum(1 for r in items if r["state"] in OPEN),
                }
                for site, items in sorted(by_site.items())
            ],
            "still_open": [r["fault_id"] for r in rows if r["state"] in OPEN],
            "escalations": self.escalations,
            "faults": rows,
        }


def _times(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return summary(r[key] for r in rows if r[key] is not None)
