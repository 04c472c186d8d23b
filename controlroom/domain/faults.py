"""Fault reports: a site's (or the centre's) report of a problem, followed to the end.

States: ``open -> acknowledged -> resolved -> confirmed``, and ``resolved -> reopened``
by the site. Who may do what from which state is the table :data:`FAULT_TRANSITIONS`;
anything else is a :class:`Conflict` naming the fault's state.

- ``fault.report`` needs an existing site; refused once the conference has ended.
- ``fault.ack`` (optional note), ``fault.assign`` (keeps the state), ``fault.note``
  (any state), ``fault.resolve`` (with a resolution) are the centre's.
- ``fault.confirm`` and ``fault.reopen`` (with a note) are the reporting site's, on
  its own faults only; a site naming another site's fault gets :class:`NotFound`,
  exactly as for a fault that does not exist, so it learns nothing.
- Timers: a ``critical`` fault still ``open`` and never acknowledged at
  ``reported_at + escalate_after_s`` raises ``fault.escalated`` once.
- ``acknowledged_at`` / ``resolved_at`` keep the first time (time to acknowledge and
  to resolve, for the report); ``history`` lists every change.

IDs are ``F0001``, ``F0002``... from the state's counter, so ``decide`` is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .audiences import is_internal_note
from .commands import (
    AckFault,
    AckFaults,
    AssignFault,
    Command,
    ConfirmFault,
    NoteFault,
    ReopenFault,
    ReportFault,
    ResolveFault,
    ResolveFaults,
)
from .conference import require_not_ended
from .errors import Conflict, NotFound
from .model import Actor, Event, NewEvent
from .sites import require_site

if TYPE_CHECKING:
    from .state import ConferenceState

FAULT_STATES = ("open", "acknowledged", "resolved", "confirmed", "reopened")
OPEN_STATES = frozenset({"open", "acknowledged", "reopened"})

#: command name -> (states it is allowed from, event it emits, state after or None = same)
FAULT_TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "fault.ack": (frozenset({"open", "reopened"}), "fault.acknowledged", "acknowledged"),
    "fault.assign": (OPEN_STATES, "fault.assigned", None),
    "fault.note": (frozenset(FAULT_STATES), "fault.noted", None),
    "fault.resolve": (OPEN_STATES, "fault.resolved", "resolved"),
    "fault.confirm": (frozenset({"resolved"}), "fault.confirmed", "confirmed"),
    "fault.reopen": (frozenset({"resolved"}), "fault.reopened", "reopened"),
}
_VERBS = {
    "fault.ack": "acknowledged",
    "fault.assign": "assigned",
    "fault.note": "noted",
    "fault.resolve": "resolved",
    "fault.confirm": "confirmed",
    "fault.reopen": "reopened",
}
_NEXT_STATE = {event: after for _, event, after in FAULT_TRANSITIONS.values()}


@dataclass(slots=True)
class Fault:
    """One fault's full record."""

    fault_id: str
    site: str
    category: str
    severity: str
    description: str
    state: str = "open"
    reported_at: int = 0
    reported_by: str = ""
    acknowledged_at: int | None = None
    assignee: str | None = None
    resolved_at: int | None = None
    resolution: str | None = None
    confirmed_at: int | None = None
    reopened_at: int | None = None
    escalated: bool = False
    notes: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    #: For an incident (many sites lost at once): site code -> "down" or "back".
    incident: dict[str, str] | None = None
    incident_joined_at: int = 0
    #: The hub's own texts as codes with parameters, rendered in the reader's language.
    description_code: dict[str, Any] | None = None
    resolution_code: dict[str, Any] | None = None

    def to_view(self, for_site: bool = False) -> dict[str, Any]:
        """The snapshot's map for this fault (``for_site``: without the centre's own notes)."""
        notes = [n for n in self.notes if not (for_site and n.get("internal"))]
        history = [h for h in self.history if not (for_site and h.get("internal"))]
        return {
            "fault_id": self.fault_id,
            "site": self.site,
            "category": self.category,
            "severity": self.severity,
            "description": self.description,
            "state": self.state,
            "reported_at": self.reported_at,
            "reported_by": self.reported_by,
            "acknowledged_at": self.acknowledged_at,
            "assignee": self.assignee,
            "resolved_at": self.resolved_at,
            "resolution": self.resolution,
            "confirmed_at": self.confirmed_at,
            "reopened_at": self.reopened_at,
            "escalated": self.escalated,
            "notes": [dict(n) for n in notes],
            "history": [dict(h) for h in history],
            "incident": dict(self.incident) if self.incident is not None else None,
            "description_code": self.description_code,
            "resolution_code": self.resolution_code,
        }


def has_open_fault(state: ConferenceState, site: str) -> bool:
    """Whether the site has a fault not yet resolved."""
    return any(f.site == site and f.state in OPEN_STATES for f in state.faults.values())


def open_fault_of(state: ConferenceState, site: str, category: str) -> Fault | None:
    """The site's oldest unresolved fault of ``category``, if any."""
    for fault in state.faults.values():
        if fault.site == site and fault.category == category and fault.state in OPEN_STATES:
            return fault
    return None


def note_event(fault: Fault, text: str) -> NewEvent:
    """A ``fault.noted`` event adding ``text`` to ``fault`` (used by the hub itself)."""
    return NewEvent("fault.noted", {"fault_id": fault.fault_id, "site": fault.site, "text": text})


def reported_event(
    state: ConferenceState, site: str, category: str, severity: str, description: str
) -> NewEvent:
    """The ``fault.reported`` event for a new fault with the next id."""
    fault_id = f"F{state.counters.get('fault', 0) + 1:04d}"
    data = {
        "fault_id": fault_id,
        "site": site,
        "category": category,
        "severity": severity,
        "description": description,
    }
    return NewEvent("fault.reported", data)


def _find(state: ConferenceState, fault_id: str, actor: Actor) -> Fault:
    fault = state.faults.get(fault_id)
    if fault is None or (actor.role == "site" and fault.site != actor.site):
        raise NotFound(
            f"There is no fault {fault_id!r}.",
            field="args.fault_id",
            text="no_fault",
            fault_id=fault_id,
        )
    return fault


def _decide_report(
    state: ConferenceState, cmd: ReportFault, actor: Actor, now: int
) -> list[NewEvent]:
    require_not_ended(state, "fault reports")
    assert cmd.site is not None  # parse_command fills it in or refuses
    require_site(state, cmd.site)
    return [reported_event(state, cmd.site, cmd.category, cmd.severity, cmd.description)]


def _decide_transition(
    state: ConferenceState, cmd: Command, actor: Actor, now: int
) -> list[NewEvent]:
    fault = _find(state, getattr(cmd, "fault_id"), actor)  # noqa: B009
    allowed, event_name, _ = FAULT_TRANSITIONS[cmd.name]
    if fault.state not in allowed:
        raise Conflict(
            f"Fault {fault.fault_id} is {fault.state}, so it cannot be {_VERBS[cmd.name]} "
            f"(only when {' or '.join(sorted(allowed))}).",
            text="fault_state",
            fault_id=fault.fault_id,
            fstate=fault.state,
        )
    data: dict[str, Any] = {"fault_id": fault.fault_id, "site": fault.site}
    if isinstance(cmd, AckFault):
        data["note"] = cmd.note
    elif isinstance(cmd, AssignFault):
        data["assignee"] = cmd.assignee
    elif isinstance(cmd, NoteFault):
        data["text"] = cmd.text
        data["to_site"] = cmd.to_site
    elif isinstance(cmd, ResolveFault):
        data["resolution"] = cmd.resolution
    elif isinstance(cmd, ReopenFault):
        data["note"] = cmd.note
    return [NewEvent(event_name, data)]


def _decide_many(
    state: ConferenceState, cmd: AckFaults | ResolveFaults, actor: Actor, now: int
) -> list[NewEvent]:
    """One event per fault that can take the step; the others are left as they are.

    Every id must name a fault (``NotFound`` with the index otherwise), so a typo
    is not silently skipped; a fault already past the step (acknowledged,
    resolved) is skipped, which makes a repeated bulk step harmless.
    """
    single = "fault.ack" if isinstance(cmd, AckFaults) else "fault.resolve"
    allowed, event_name, _ = FAULT_TRANSITIONS[single]
    events: list[NewEvent] = []
    seen: set[str] = set()
    for index, fault_id in enumerate(cmd.fault_ids):
        fault = state.faults.get(fault_id)
        if fault is None:
            raise NotFound(
                f"There is no fault {fault_id!r}.",
                field=f"args.fault_ids.{index}",
                text="no_fault",
                fault_id=fault_id,
            )
        if fault_id in seen or fault.state not in allowed:
            continue
        seen.add(fault_id)
        data: dict[str, Any] = {"fault_id": fault.fault_id, "site": fault.site}
        if isinstance(cmd, AckFaults):
            data["note"] = cmd.note
        else:
            data["resolution"] = cmd.resolution
        events.append(NewEvent(event_name, data))
    return events


def _apply_reported(state: ConferenceState, event: Event) -> None:
    d = event.data
    fault_id = d["fault_id"]
    incident = d.get("incident")
    state.faults[fault_id] = fault = Fault(
        incident={str(c): "down" for c in incident} if isinstance(incident, list) else None,
        incident_joined_at=event.at if isinstance(incident, list) else 0,
        description_code=d.get("description_code"),
        fault_id=fault_id,
        site=d["site"],
        category=d.get("category", "other"),
        severity=d.get("severity", "minor"),
        description=d.get("description", ""),
        reported_at=event.at,
        reported_by=event.actor.account,
        history=[
            {"at": event.at, "event": event.name, "account": event.actor.account, "state": "open"}
        ],
    )
    _watch(state, fault)
    number = int(fault_id[1:]) if fault_id[1:].isdigit() else 0
    state.counters["fault"] = max(state.counters.get("fault", 0), number)


def _apply_change(state: ConferenceState, event: Event) -> None:
    fault = state.faults.get(event.data.get("fault_id", ""))
    if fault is None:
        return
    d, at, account = event.data, event.at, event.actor.account
    after = _NEXT_STATE.get(event.name)
    if after is not None:
        fault.state = after
    if event.name == "fault.acknowledged" and fault.acknowledged_at is None:
        fault.acknowledged_at = at
    elif event.name == "fault.assigned":
        fault.assignee = d.get("assignee")
    elif event.name == "fault.resolved":
        fault.resolution = d.get("resolution")
        fault.resolution_code = d.get("resolution_code")
        if fault.resolved_at is None:
            fault.resolved_at = at
    elif event.name == "fault.confirmed":
        fault.confirmed_at = at
    elif event.name == "fault.reopened":
        fault.reopened_at = at
    elif event.name == "fault.escalated":
        fault.escalated = True
    _watch(state, fault)
    text = d.get("text") or d.get("note")
    if text:
        note: dict[str, Any] = {"at": at, "account": account, "text": text}
        if d.get("text_code"):
            note["code"] = d["text_code"]
        if is_internal_note(event.name, d):
            note["internal"] = True
        fault.notes.append(note)
    step = {"at": at, "event": event.name, "account": account, "state": fault.state}
    if is_internal_note(event.name, d):
        step["internal"] = True
    fault.history.append(step)


def _apply_incident(state: ConferenceState, event: Event) -> None:
    fault = state.faults.get(event.data.get("fault_id", ""))
    if fault is None or fault.incident is None:
        return
    for code in event.data.get("down", []):
        fault.incident[str(code)] = "down"
        fault.incident_joined_at = event.at
    for code in event.data.get("back", []):
        if code in fault.incident:
            fault.incident[str(code)] = "back"
    _apply_change(state, event)


def awaits_escalation(fault: Fault) -> bool:
    """Whether the fault's escalation timer runs: critical, open, unacknowledged, once."""
    return (
        fault.severity == "critical"
        and fault.state == "open"
        and not fault.escalated
        and fault.acknowledged_at is None
    )


def escalation_index(faults: dict[str, Fault]) -> dict[str, None]:
    """:attr:`ConferenceState.awaiting_escalation` rebuilt from the faults."""
    return {fid: None for fid, f in faults.items() if awaits_escalation(f)}


def _watch(state: ConferenceState, fault: Fault) -> None:
    if awaits_escalation(fault):
        state.awaiting_escalation[fault.fault_id] = None
    else:
        state.awaiting_escalation.pop(fault.fault_id, None)


def _awaiting(state: ConferenceState) -> list[Fault]:
    # The few faults whose timer runs, in the order they were reported (as the whole
    # dict of faults was read before the index: at 20,000 faults a scan per tick was
    # the largest cost of the hub's timer).
    found = [state.faults[fid] for fid in state.awaiting_escalation]
    found.sort(key=lambda f: (f.reported_at, len(f.fault_id), f.fault_id))
    return found


def _escalation_due(state: ConferenceState, fault: Fault) -> int:
    return fault.reported_at + state.settings.escalate_after_s * 1000


def deadlines(state: ConferenceState) -> list[int]:
    """Times at which a fault timer falls due."""
    return [_escalation_due(state, f) for f in _awaiting(state)]


def due(state: ConferenceState, now: int) -> list[NewEvent]:
    """The ``fault.escalated`` events due at ``now``."""
    out = []
    for fault in _awaiting(state):
        at = _escalation_due(state, fault)
        if at <= now:
            data = {
                "fault_id": fault.fault_id,
                "site": fault.site,
                "severity": fault.severity,
                "after_s": state.settings.escalate_after_s,
            }
            out.append(NewEvent("fault.escalated", data))
    return out


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    ReportFault: _decide_report,
    AckFault: _decide_transition,
    AssignFault: _decide_transition,
    NoteFault: _decide_transition,
    ResolveFault: _decide_transition,
    ConfirmFault: _decide_transition,
    ReopenFault: _decide_transition,
    AckFaults: _decide_many,
    ResolveFaults: _decide_many,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "fault.reported": _apply_reported,
    "fault.incident_updated": _apply_incident,
    **{
        name: _apply_change
        for name in (
            "fault.acknowledged",
            "fault.assigned",
            "fault.noted",
            "fault.resolved",
            "fault.confirmed",
            "fault.reopened",
            "fault.escalated",
        )
    },
}
