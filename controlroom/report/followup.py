"""The conclusions and their follow-up: one row per conclusion and responsible site.

Rules:

- Folds ``conclusion.*`` events the way ``controlroom/domain/followup.py`` applies
  them: a part is ``open`` until its site reports, ``in_progress``, ``done`` when
  the site reports it done, ``accepted`` once the centre accepts it; returned, it
  is ``in_progress`` again; ``conclusion.overdue`` marks it overdue (a return
  clears the mark, a later overdue sets it again).
- A row: the conclusion (id, text, deadline), the site (code, name), the part's
  state, percent, whether it is overdue, its latest report's text and when it was
  accepted. Rows in order of deadline, then conclusion, then the conclusion's sites.
- The section counts conclusions, parts, and parts accepted, waiting (done), owed
  (open or in progress) and overdue: the follow-up outlives the conference, so the
  report shows where it stands at the last event of the log.
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.model import Event


class FollowUp:
    """Folds ``conclusion.*`` events; :meth:`result` gives the section."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.conclusions: dict[str, dict[str, Any]] = {}

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        d = event.data
        cid = str(d.get("conclusion_id", ""))
        if event.name == "conclusion.added":
            sites = [str(s) for s in d.get("sites") or []]
            self.conclusions[cid] = {
                "conclusion_id": cid,
                "text": str(d.get("text", "")),
                "deadline": d.get("deadline"),
                "parts": {
                    s: {
                        "state": "open",
                        "percent": 0,
                        "overdue": False,
                        "last": "",
                        "accepted_at": None,
                    }
                    for s in sites
                },
            }
            return
        part = self.conclusions.get(cid, {}).get("parts", {}).get(str(d.get("site", "")))
        if part is None:
            return
        if event.name == "conclusion.reported":
            part["state"] = "done" if d.get("done") else "in_progress"
            part["percent"] = d.get("percent", 0)
            if d.get("text"):
                part["last"] = str(d["text"])
        elif event.name == "conclusion.accepted":
            part["state"], part["accepted_at"] = "accepted", event.at
        elif event.name == "conclusion.returned":
            part["state"], part["overdue"] = "in_progress", False
        elif event.name == "conclusion.overdue":
            part["overdue"] = True

    def result(self) -> dict[str, Any]:
        """The follow-up section."""
        rows = []
        order = sorted(
            self.conclusions.values(), key=lambda c: (c["deadline"] or 0, c["conclusion_id"])
        )
        for c in order:
            for site, part in c["parts"].items():
                rows.append(
                    {
                        "conclusion_id": c["conclusion_id"],
                        "text": c["text"],
                        "deadline": c["deadline"],
                        "site": site,
                        "name": self.names.get(site, site),
                        "state": f"part_{part['state']}",
                        "percent": part["percent"],
                        "overdue": part["overdue"] and part["state"] in ("open", "in_progress"),
                        "last_report": part["last"],
                        "accepted_at": part["accepted_at"],
                    }
                )
        states = [r["state"] for r in rows]
        return {
            "rows": rows,
            "conclusions": len(self.conclusions),
            "parts": len(rows),
            "accepted": states.count("part_accepted"),
            "waiting": states.count("part_done"),
            "owed": states.count("part_open") + states.count("part_in_progress"),
            "overdue": sum(1 for r in rows if r["overdue"]),
        }
