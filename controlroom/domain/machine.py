"""The state machine's three entry points: ``decide``, ``apply``, ``next_deadline``.

Everything that changes state lives in the concept modules (``conference``, ``sites``,
``faults``, ``speaking``, ``agenda``), each exporting ``DECIDERS`` (command class ->
decider) and ``APPLIERS`` (event name -> applier); this module only dispatches and
checks who may issue what. ``decide`` never mutates the state; ``apply`` mutates it in
place. Neither reads the clock nor does I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from . import (
    agenda,
    announcements,
    conference,
    cues,
    faults,
    followup,
    links,
    minutes,
    sites,
    speaking,
    testcalls,
    threads,
)
from .commands import (
    COMMANDS,
    Command,
    SiteCommand,
)
from .errors import Forbidden, UnknownCommand
from .model import Actor, Event, NewEvent
from .state import ConferenceState
from .system_commands import (
    SYSTEM_COMMANDS,
    Tick,
)

_DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    **conference.DECIDERS,
    **sites.DECIDERS,
    **links.DECIDERS,
    **faults.DECIDERS,
    **speaking.DECIDERS,
    **agenda.DECIDERS,
    **testcalls.DECIDERS,
    **announcements.DECIDERS,
    **threads.DECIDERS,
    **cues.DECIDERS,
    **followup.DECIDERS,
    **minutes.DECIDERS,
}
_APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    **conference.APPLIERS,
    **sites.APPLIERS,
    **links.APPLIERS,
    **faults.APPLIERS,
    **speaking.APPLIERS,
    **agenda.APPLIERS,
    **testcalls.APPLIERS,
    **announcements.APPLIERS,
    **threads.APPLIERS,
    **cues.APPLIERS,
    **followup.APPLIERS,
    **minutes.APPLIERS,
}
_TIMERS = (faults, speaking, agenda, cues, followup)


def _authorize(command: Command, actor: Actor) -> None:
    if type(command) in SYSTEM_COMMANDS:
        if actor.role != "system":
            raise Forbidden(f"Only the hub itself may issue {command.name}.", text="hub_only")
        return
    spec = COMMANDS.get(command.name)
    if spec is None or spec.model is not type(command):
        raise UnknownCommand(f"There is no command named {command.name!r}.", text="no_command")
    if actor.role not in spec.roles:
        raise Forbidden(
            f"The {actor.role} role may not issue {command.name}.",
            text="role_forbidden",
            role=actor.role,
        )
    if actor.role == "site" and isinstance(command, SiteCommand) and command.site != actor.site:
        raise Forbidden(
            f"Site {actor.site} may act only for itself.", text="site_only_self", site=actor.site
        )


def decide(state: ConferenceState, command: Command, actor: Actor, now: int) -> list[NewEvent]:
    """The events that ``command`` by ``actor`` at ``now`` produces; raises DomainError."""
    _authorize(command, actor)
    if isinstance(command, Tick):
        return [event for module in _TIMERS for event in module.due(state, now)]
    decider = _DECIDERS.get(type(command))
    if decider is None:
        raise UnknownCommand(f"There is no command named {command.name!r}.", text="no_command")
    return decider(state, command, actor, now)


def apply(state: ConferenceState, event: Event) -> ConferenceState:
    """Apply a stored event to ``state`` in place and return it; unknown names are ignored."""
    applier = _APPLIERS.get(event.name)
    if applier is not None:
        applier(state, event)
    return state


def next_deadline(state: ConferenceState) -> int | None:
    """The earliest time (ms) at which a Tick would emit something, or None."""
    times = [t for module in _TIMERS for t in module.deadlines(state)]
    return min(times) if times else None
