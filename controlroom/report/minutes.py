"""The minutes (biên bản) as the report writes them: attendance, then each run-script
item with its notes and its speeches in the order they happened.

Rules:

- Notes come from ``minutes.noted`` / ``minutes.edited``: the final text is the last
  version; the first author and every later editor (with the time) are kept, so the
  document shows who wrote what and nothing is silently overwritten.
- A note belongs to the item it names. A speech belongs to the item that had started
  last when the floor was given (by the items' actual starts); a note with no item
  and a speech before any item are listed first, under no item.
- Attendance is the roll call at check-in: the sites checked in, of how many, and
  the delegates they declared.
"""

from __future__ import annotations

from typing import Any

from controlroom.domain.model import Event


class Minutes:
    """Folds ``minutes.*`` events; :meth:`result` builds the section from the others."""

    def __init__(self) -> None:
        self.notes: dict[str, dict[str, Any]] = {}

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        d = event.data
        nid = str(d.get("note_id", ""))
        if event.name == "minutes.noted":
            self.notes[nid] = {
                "kind": "note",
                "note_id": nid,
                "item": d.get("item"),
                "text": str(d.get("text", "")),
                "at": event.at,
                "account": event.actor.account,
                "edits": [],
            }
        elif event.name == "minutes.edited" and nid in self.notes:
            note = self.notes[nid]
            note["text"] = str(d.get("text", ""))
            note["edits"].append({"at": event.at, "account": event.actor.account})

    def result(
        self,
        items: list[dict[str, Any]],
        speeches: list[dict[str, Any]],
        attendance: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """The section: attendance, and the entries of each item (``items`` in order)."""
        names = {row["site"]: row["name"] for row in attendance}
        started = sorted(
            (i["actual_start"], i["item_id"]) for i in items if i.get("actual_start") is not None
        )
        entries: dict[str | None, list[dict[str, Any]]] = {None: []}
        for item in items:
            entries[item["item_id"]] = []
        for note in self.notes.values():
            entries.setdefault(note["item"], []).append(note)
        for speech in speeches:
            before = [iid for at, iid in started if at <= speech["start"]]
            entries[before[-1] if before else None].append(
                {
                    "kind": "speech",
                    "at": speech["start"],
                    "speaker": speech["speaker"],
                    "title": speech["title"],
                    "site": speech["site"],
                    "name": names.get(speech["site"], speech["site"]),
                    "duration_s": speech["duration_s"],
                }
            )
        for found in entries.values():
            found.sort(key=lambda e: e["at"])
        present = [r for r in attendance if r["checked_in_at"] is not None]
        return {
            "attendance": {
                "checked_in": len(present),
                "sites": len(attendance),
                "delegates": sum(r["delegates"] or 0 for r in present),
                "rows": [
                    {
                        "site": r["site"],
                        "name": r["name"],
                        "checked_in_at": r["checked_in_at"],
                        "delegates": r["delegates"],
                    }
                    for r in present
                ],
            },
            "unfiled": entries[None],
            "items": [
                {
                    "item_id": i["item_id"],
                    "order": i["order"],
                    "content": i["content"],
                    "entries": entries[i["item_id"]],
                }
                for i in items
            ],
            "notes": len(self.notes),
        }
