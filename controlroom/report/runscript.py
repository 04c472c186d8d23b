"""The run-script ("kịch bản") planned against actual.

Rules:

- Items and their planned start and duration come from the configuration
  (``agenda.csv``); what happened comes from ``agenda.started`` / ``agenda.finished``.
- An item started more than once counts from its last start (as the hub does);
  ``runs`` says how many times it was started.
- *Delay* = actual start - planned start (negative: early). *Actual duration* =
  finish - start, or start to the last event while still running. *Overrun* =
  actual - planned duration, when positive. ``agenda.overrun`` events are counted.
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.model import AgendaItem, Event
from controlroom.report.stats import seconds


class RunScript:
    """Folds ``agenda.*`` events; :meth:`result` gives the section."""

    def __init__(self, items: tuple[AgendaItem, ...]) -> None:
        self.items = sorted(items, key=lambda i: (i.order, i.item_id))
        self.started: dict[str, int] = {}
        self.finished: dict[str, int] = {}
        self.runs: dict[str, int] = {}
        self.overrun_events = 0

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        item_id = event.data.get("item_id", "")
        if event.name == "agenda.started":
            self.started[item_id] = event.at
            self.finished.pop(item_id, None)
            self.runs[item_id] = self.runs.get(item_id, 0) + 1
        elif event.name == "agenda.finished":
            self.finished[item_id] = event.at
        elif event.name == "agenda.overrun":
            self.overrun_events += 1

    def result(self, last_at: int) -> dict[str, Any]:
        """The run-script section; a running item is measured up to ``last_at``."""
        rows: list[dict[str, Any]] = []
        for item in self.items:
            start = self.started.get(item.item_id)
            end = self.finished.get(item.item_id)
            planned_s = item.duration_min * 60
            status = "not_started" if start is None else ("done" if end is not None else "running")
            actual_ms = None if start is None else max(0, (end or last_at) - start)
            actual_s = seconds(actual_ms)
            rows.append(
                {
                    "item_id": item.item_id,
                    "order": item.order,
                    "content": item.content,
                    "presenter": item.presenter,
                    "presenter_title": item.presenter_title,
                    "site": item.site,
                    "planned_start": item.planned_start,
                    "planned_duration_s": planned_s,
                    "actual_start": start,
                    "actual_end": end,
                    "actual_duration_s": actual_s,
                    "delay_s": None if start is None else seconds(start - item.planned_start),
                    "overrun_s": None if actual_s is None else max(0.0, actual_s - planned_s),
                    "status": status,
                    "runs": self.runs.get(item.item_id, 0),
                }
            )
        ran = [r for r in rows if r["status"] != "not_started"]
        return {
            "items": rows,
            "planned": len(rows),
            "started": len(ran),
            "done": sum(1 for r in rows if r["status"] == "done"),
            "overrun_items": sum(1 for r in ran if (r["overrun_s"] or 0) > 0),
            "overrun_events": self.overrun_events,
            "final_delay_s": ran[-1]["delay_s"] if ran else None,
        }
