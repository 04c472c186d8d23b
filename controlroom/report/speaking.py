"""The speaking section: requests and what became of them, every speech, totals per site.

Rules:

- Counts are of requests (``speak.requested``, which ``speak.add`` also records),
  and of requests that were ever approved, rejected or withdrawn.
- A *speech* is a ``speak.granted``. Its *limit* is the last one in force (the
  grant's, raised by each ``speak.extended``); its *duration* is ``duration_s`` of its
  ``speak.ended``, or, while still on the floor at the end of the log, the time from
  the grant to the last event. *Overrun* = duration - limit, when positive.
- Totals per site add up the speeches of each site.
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.model import Event
from controlroom.report.stats import seconds


class Speaking:
    """Folds ``speak.*`` events; :meth:`result` gives the section."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.speeches: list[dict[str, Any]] = []
        self.by_request: dict[str, dict[str, Any]] = {}
        self.flags: dict[str, set[str]] = {"approved": set(), "rejected": set(), "withdrawn": set()}

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        d, name = event.data, event.name
        rid = d.get("request_id", "")
        if name == "speak.requested":
            self.requests[rid] = {
                "request_id": rid,
                "site": d.get("site"),
                "speaker": d.get("speaker", ""),
                "title": d.get("title", ""),
                "kind": d.get("kind", "speech"),
                "requested_at": event.at,
            }
        elif name in ("speak.approved", "speak.rejected", "speak.withdrawn"):
            self.flags[name.split(".", 1)[1]].add(rid)
        elif name == "speak.granted":
            req = self.requests.get(rid, {})
            speech = {
                "request_id": rid,
                "site": d.get("site", req.get("site")),
                "speaker": d.get("speaker", req.get("speaker", "")),
                "title": d.get("title", req.get("title", "")),
                "kind": req.get("kind", "speech"),
                "start": event.at,
                "limit_s": int(d.get("limit_s") or 0),
                "extended_s": 0,
                "duration_s": None,
                "overrun_s": None,
                "ended": False,
            }
            self.speeches.append(speech)
            self.by_request[rid] = speech
        elif name == "speak.extended" and rid in self.by_request:
            speech = self.by_request[rid]
            speech["extended_s"] += int(d.get("add_s") or 0)
            speech["limit_s"] = int(d.get("limit_s") or speech["limit_s"])
        elif name == "speak.ended" and rid in self.by_request:
            speech = self.by_request.pop(rid)
            duration = d.get("duration_s")
            if duration is None:
                duration = (event.at - speech["start"]) // 1000
            speech["duration_s"] = int(duration)
            speech["ended"] = True

    def result(self, last_at: int) -> dict[str, Any]:
        """The speaking section; speeches still on the floor are measured up to ``last_at``."""
        for speech in self.speeches:
            if speech["duration_s"] is None:
                speech["duration_s"] = int(seconds(max(0, last_at - speech["start"])) or 0)
            speech["overrun_s"] = max(0, speech["duration_s"] - speech["limit_s"])
        per_site: dict[str, dict[str, Any]] = {}

        def site_row(code: str) -> dict[str, Any]:
            return per_site.setdefault(
                code,
                {
                    "site": code,
                    "requests": 0,
                    "approved": 0,
                    "rejected": 0,
                    "withdrawn": 0,
                    "speeches": 0,
                    "total_s": 0,
                    "overrun_s": 0,
                },
            )

        for rid, req in self.requests.items():
            row = site_row(req["site"])
            row["requests"] += 1
            for flag, ids in self.flags.items():
                row[flag] += rid in ids
        for speech in self.speeches:
            row = site_row(speech["site"])
            row["speeches"] += 1
            row["total_s"] += speech["duration_s"]
            row["overrun_s"] += speech["overrun_s"]
        known = set(self.requests)
        return {
            "requests": len(self.requests),
            "approved": len(self.flags["approved"] & known),
            "rejected": len(self.flags["rejected"] & known),
            "withdrawn": len(self.flags["withdrawn"] & known),
            "speeches": len(self.speeches),
            "total_s": sum(s["duration_s"] for s in self.speeches),
            "overrun_s": sum(s["overrun_s"] for s in self.speeches),
            "list": self.speeches,
            "per_site": sorted(per_site.values(), key=lambda r: (-r["total_s"], r["site"])),
        }
