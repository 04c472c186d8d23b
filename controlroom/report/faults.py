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
from types import SimpleNamespace
from typing import Any, cast

from controlroom.domain import faults as fault_rules
from controlroom.domain.faults import OPEN_STATES as OPEN
from controlroom.domain.model import Event
from controlroom.domain.state import ConferenceState
from controlroom.report.messages import both
from controlroom.report.stats import seconds, summary


class Faults:
    """Folds ``fault.*`` events with the domain's own appliers; :meth:`result` gives the section.

    The lifecycle (which event moves a fault to which state, the first time it was
    acknowledged or resolved) is the domain's: the report reads the faults it builds.
    """

    def __init__(self, site_names: dict[str, str] | None = None) -> None:
        self.site_names = site_names or {}
        # The fault appliers touch only these parts of the conference state.
        self._fold = SimpleNamespace(faults={}, counters={}, awaiting_escalation={})
        self.escalations: list[dict[str, Any]] = []

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        applier = fault_rules.APPLIERS.get(event.name)
        if applier is None:
            return
        applier(cast(ConferenceState, self._fold), event)
        fault = self._fold.faults.get(event.data.get("fault_id", ""))
        if event.name == "fault.escalated" and fault is not None:
            self.escalations.append(
                {"fault_id": fault.fault_id, "site": fault.site, "at": event.at}
            )

    def _row(self, f: fault_rules.Fault) -> dict[str, Any]:
        return {
            "fault_id": f.fault_id,
            "site": f.site,
            "category": f.category,
            "severity": f.severity,
            # The hub's own texts are codes: in the words of the report's language.
            "description": both(
                f.description_code, f.description, lambda code: self.site_names.get(code, code)
            ),
            "reported_at": f.reported_at,
            "reported_by": f.reported_by,
            "acknowledged_at": f.acknowledged_at,
            "resolved_at": f.resolved_at,
            "state": f.state,
            "escalated": f.escalated,
            "reopened": sum(1 for step in f.history if step["event"] == "fault.reopened"),
            "assignee": f.assignee,
            "resolution": f.resolution,
        }

    def result(self) -> dict[str, Any]:
        """The faults section."""
        rows = []
        for fault in self._fold.faults.values():
            f = self._row(fault)
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
