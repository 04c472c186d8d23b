"""The minutes (biên bản): the secretary's notes, tied to the run-script item.

Regulation 001 (Điều 9): the secretariat records the minutes. The notes are one part;
the speeches (recorded by the queue) and the attendance (the roll call at check-in)
are the others, and the report puts the three together in order.

- ``minutes.note {text, item?}`` (admin, operator, assistant): ``minutes.noted
  {note_id, item, text}``; ``item`` defaults to the current run-script item.
- ``minutes.edit {note_id, text}`` (the same roles): ``minutes.edited {note_id,
  text}``. Nothing is overwritten: a note keeps every version, with who wrote it
  and when, and the final text is the last one.

Allowed in any phase (the minutes are finished after the meeting). Seen by the
central team and the assistant only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .command_base import Command
from .errors import NotFound
from .model import Actor, Event, NewEvent
from .paper_commands import EditNote, NoteMinutes

if TYPE_CHECKING:
    from .state import ConferenceState


@dataclass(slots=True)
class MinutesNote:
    """One note of the minutes and every version of its text, oldest first."""

    note_id: str
    item: str | None
    versions: list[dict[str, Any]] = field(default_factory=list)

    def to_view(self) -> dict[str, Any]:
        """The snapshot's map: the final text, and every version."""
        last = self.versions[-1] if self.versions else {"text": "", "at": 0, "account": ""}
        return {
            "note_id": self.note_id,
            "item": self.item,
            "text": last["text"],
            "at": self.versions[0]["at"] if self.versions else 0,
            "account": self.versions[0]["account"] if self.versions else "",
            "versions": [dict(v) for v in self.versions],
        }


def _item(state: ConferenceState, item: str | None) -> str | None:
    chosen = item if item is not None else state.agenda.current
    if chosen is not None and not any(i.item_id == chosen for i in state.agenda.items):
        raise NotFound(
            f"There is no run-script item {chosen!r}.",
            field="args.item",
            text="no_agenda_item",
            item_id=chosen,
        )
    return chosen


def _decide_note(
    state: ConferenceState, cmd: NoteMinutes, actor: Actor, now: int
) -> list[NewEvent]:
    number = state.counters.get("minutes", 0) + 1
    data = {"note_id": f"N{number:04d}", "item": _item(state, cmd.item), "text": cmd.text}
    return [NewEvent("minutes.noted", data)]


def _decide_edit(state: ConferenceState, cmd: EditNote, actor: Actor, now: int) -> list[NewEvent]:
    note = state.minutes.get(cmd.note_id)
    if note is None:
        raise NotFound(
            f"There is no note {cmd.note_id!r} in the minutes.",
            field="args.note_id",
            text="no_note",
            note_id=cmd.note_id,
        )
    if note.versions and note.versions[-1]["text"] == cmd.text:
        return []
    return [NewEvent("minutes.edited", {"note_id": cmd.note_id, "text": cmd.text})]


def _version(event: Event) -> dict[str, Any]:
    return {"text": str(event.data.get("text", "")), "at": event.at, "account": event.actor.account}


def _apply_noted(state: ConferenceState, event: Event) -> None:
    nid = str(event.data["note_id"])
    state.minutes[nid] = MinutesNote(nid, event.data.get("item"), [_version(event)])
    digits = nid[1:]
    if digits.isdigit():
        state.counters["minutes"] = max(state.counters.get("minutes", 0), int(digits))


def _apply_edited(state: ConferenceState, event: Event) -> None:
    note = state.minutes.get(str(event.data.get("note_id", "")))
    if note is not None:
        note.versions.append(_version(event))


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    NoteMinutes: _decide_note,
    EditNote: _decide_edit,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "minutes.noted": _apply_noted,
    "minutes.edited": _apply_edited,
}
