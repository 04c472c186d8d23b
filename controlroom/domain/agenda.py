"""The run-script ("kịch bản"): which agenda item runs now, planned against actual.

- ``agenda.start {item_id}`` starts that item (:class:`NotFound` if unknown,
  :class:`Conflict` if it is already current); a different current item is finished
  first (``agenda.finished`` then ``agenda.started``). Starting an item that ran
  before runs it again: its actual start and end are replaced.
- ``agenda.advance`` finishes the current item and starts the next one by ``order``;
  when the current item is the last, it only finishes it. With no current item it
  starts the first item never started; when every item has run it is a Conflict.
- ``agenda.finish`` finishes the current item (Conflict if none).
- Timer: ``agenda.overrun`` once per run of an item, when it is still current at
  ``started_at + duration_min`` minutes.

Never reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .commands import AdvanceAgenda, Command, FinishAgenda, StartAgendaItem
from .errors import Conflict, NotFound
from .model import Actor, AgendaItem, Event, NewEvent

if TYPE_CHECKING:
    from .state import ConferenceState


@dataclass(slots=True)
class AgendaState:
    """The items in order, what actually happened to each, and the current item."""

    items: list[AgendaItem] = field(default_factory=list)
    actual_start: dict[str, int] = field(default_factory=dict)
    actual_end: dict[str, int] = field(default_factory=dict)
    overrun: list[str] = field(default_factory=list)
    current: str | None = None

    def item(self, item_id: str) -> AgendaItem | None:
        """The item of that id, if any."""
        return next((i for i in self.items if i.item_id == item_id), None)

    def to_view(self) -> dict[str, Any]:
        """The snapshot's ``agenda`` map."""
        items = []
        for item in self.items:
            wire = item.to_wire()
            wire["actual_start"] = self.actual_start.get(item.item_id)
            wire["actual_end"] = self.actual_end.get(item.item_id)
            items.append(wire)
        return {"items": items, "current": self.current}


def _finished(state: ConferenceState, now: int) -> NewEvent:
    agenda = state.agenda
    assert agenda.current is not None
    item = agenda.item(agenda.current)
    started_at = agenda.actual_start[agenda.current]
    data = {
        "item_id": agenda.current,
        "site": item.site if item else None,
        "started_at": started_at,
        "duration_s": max(0, (now - started_at) // 1000),
    }
    return NewEvent("agenda.finished", data)


def _started(item: AgendaItem, now: int) -> NewEvent:
    data = {
        "item_id": item.item_id,
        "planned_start": item.planned_start,
        "started_at": now,
        "site": item.site,
        "content": item.content,
        "presenter": item.presenter,
    }
    return NewEvent("agenda.started", data)


def _decide_start(
    state: ConferenceState, cmd: StartAgendaItem, actor: Actor, now: int
) -> list[NewEvent]:
    item = state.agenda.item(cmd.item_id)
    if item is None:
        raise NotFound(
            f"There is no agenda item {cmd.item_id!r}.",
            field="args.item_id",
            text="no_agenda_item",
            item_id=cmd.item_id,
        )
    if state.agenda.current == item.item_id:
        raise Conflict(
            f"Agenda item {item.item_id} is already running.",
            text="agenda_running",
            item_id=item.item_id,
        )
    events = [_finished(state, now)] if state.agenda.current is not None else []
    return [*events, _started(item, now)]


def _decide_advance(
    state: ConferenceState, cmd: AdvanceAgenda, actor: Actor, now: int
) -> list[NewEvent]:
    agenda = state.agenda
    if agenda.current is not None:
        ids = [i.item_id for i in agenda.items]
        index = ids.index(agenda.current)
        events = [_finished(state, now)]
        if index + 1 < len(agenda.items):
            events.append(_started(agenda.items[index + 1], now))
        return events
    for item in agenda.items:
        if item.item_id not in agenda.actual_start:
            return [_started(item, now)]
    raise Conflict(
        "Every agenda item has already run; there is nothing to advance to.", text="agenda_done"
    )


def _decide_finish(
    state: ConferenceState, cmd: FinishAgenda, actor: Actor, now: int
) -> list[NewEvent]:
    if state.agenda.current is None:
        raise Conflict("No agenda item is running.", text="agenda_idle")
    return [_finished(state, now)]


def _apply_started(state: ConferenceState, event: Event) -> None:
    agenda = state.agenda
    item_id = event.data.get("item_id", "")
    if agenda.item(item_id) is None:
        return
    agenda.current = item_id
    agenda.actual_start[item_id] = event.at
    agenda.actual_end.pop(item_id, None)
    if item_id in agenda.overrun:
        agenda.overrun.remove(item_id)


def _apply_finished(state: ConferenceState, event: Event) -> None:
    agenda = state.agenda
    item_id = event.data.get("item_id", "")
    if agenda.item(item_id) is None:
        return
    agenda.actual_end[item_id] = event.at
    if agenda.current == item_id:
        agenda.current = None


def _apply_overrun(state: ConferenceState, event: Event) -> None:
    item_id = event.data.get("item_id", "")
    if state.agenda.item(item_id) is not None and item_id not in state.agenda.overrun:
        state.agenda.overrun.append(item_id)


def _overrun_at(state: ConferenceState) -> tuple[int, AgendaItem] | None:
    agenda = state.agenda
    if agenda.current is None or agenda.current in agenda.overrun:
        return None
    item = agenda.item(agenda.current)
    assert item is not None
    return agenda.actual_start[item.item_id] + item.duration_min * 60_000, item


def deadlines(state: ConferenceState) -> list[int]:
    """Times at which an agenda timer falls due."""
    due_at = _overrun_at(state)
    return [] if due_at is None else [due_at[0]]


def due(state: ConferenceState, now: int) -> list[NewEvent]:
    """The ``agenda.overrun`` event, if due at ``now``."""
    due_at = _overrun_at(state)
    if due_at is None or due_at[0] > now:
        return []
    item = due_at[1]
    elapsed_s = (now - state.agenda.actual_start[item.item_id]) // 1000
    data = {
        "item_id": item.item_id,
        "site": item.site,
        "planned_min": item.duration_min,
        "elapsed_s": elapsed_s,
    }
    return [NewEvent("agenda.overrun", data)]


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    StartAgendaItem: _decide_start,
    AdvanceAgenda: _decide_advance,
    FinishAgenda: _decide_finish,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "agenda.started": _apply_started,
    "agenda.finished": _apply_finished,
    "agenda.overrun": _apply_overrun,
}
