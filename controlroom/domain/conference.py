"""The conference itself: identity, schedule and phase.

Phases move by the table :data:`PHASE_TRANSITIONS`; ``ended`` is final. Asking for
the phase the conference is already in is a :class:`Conflict`. Once ``ended``, new
fault reports and speaking requests are refused by their own modules
(:func:`require_not_ended`). This module never reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .commands import Command, SetPhase
from .errors import Conflict
from .model import Actor, ConferenceInfo, Event, NewEvent

if TYPE_CHECKING:
    from .state import ConferenceState

#: phase -> phases it may move to.
PHASE_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"rehearsal", "live"}),
    "rehearsal": frozenset({"live", "planned"}),
    "live": frozenset({"ended"}),
    "ended": frozenset(),
}


@dataclass(slots=True)
class ConferenceRecord:
    """The conference's identity and its current phase (``phase_at``: when it was set)."""

    id: str
    title: str
    starts_at: int
    test_at: int | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    phase: str = "planned"
    phase_at: int | None = None
    classification: str = "normal"

    @classmethod
    def from_info(cls, info: ConferenceInfo) -> ConferenceRecord:
        """A planned conference from its configuration."""
        return cls(
            info.id,
            info.title,
            info.starts_at,
            info.test_at,
            info.timezone,
            classification=info.classification,
        )

    def to_view(self) -> dict[str, Any]:
        """The snapshot's ``conference`` map."""
        return {
            "id": self.id,
            "title": self.title,
            "phase": self.phase,
            "starts_at": self.starts_at,
            "test_at": self.test_at,
            "timezone": self.timezone,
            "phase_at": self.phase_at,
            "classification": self.classification,
        }


def require_not_ended(state: ConferenceState, what: str) -> None:
    """Raise :class:`Conflict` when the conference has ended."""
    if state.conference.phase == "ended":
        raise Conflict(
            f"The conference has ended; {what} are no longer accepted.", text="conference_ended"
        )


def _decide_phase(state: ConferenceState, cmd: SetPhase, actor: Actor, now: int) -> list[NewEvent]:
    current = state.conference.phase
    if cmd.phase == current:
        raise Conflict(f"The conference is already {current}.", text="phase_already", phase=current)
    if cmd.phase not in PHASE_TRANSITIONS[current]:
        raise Conflict(
            f"The conference cannot go from {current} to {cmd.phase}.",
            text="phase_step",
            from_phase=current,
            phase=cmd.phase,
        )
    return [NewEvent("conference.phase", {"phase": cmd.phase, "from": current})]


def _apply_phase(state: ConferenceState, event: Event) -> None:
    state.conference.phase = event.data["phase"]
    state.conference.phase_at = event.at


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {SetPhase: _decide_phase}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "conference.phase": _apply_phase,
}
