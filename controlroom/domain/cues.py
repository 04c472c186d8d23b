""" "You are next": the hub tells a bridge site that its turn is coming, and hears back.

The hub sends ``cue.sent {cue_id, site, reason, item_id?, request_id?, starts_at?,
link}`` to one site (and the central team), once per reason and thing:

- ``soon``: ``cue_lead_min`` minutes before the planned start of a run-script item of
  that site, when it is one of the next two items still to come (also when the
  run-script is behind and the planned time has passed: the item is still to come,
  but only the near ones are told, not every site further down);
- ``next``: the item before it has started, so the site's item is the next one;
- ``speaker``: the site's approved request is first in the speaking queue.

Only while the conference is in rehearsal or live, and only for bridge sites (the
central site is in the room). ``link`` is the site's link state when the cue went out.

``cue.answer {cue_id, ready}`` (site): ``cue.answered {cue_id, site, ready}``;
the site may change its mind (the same answer twice adds nothing).

Timers like the others (``due`` / ``deadlines``): a cue that depends on a change of
state (the next item, the queue's head) is due at once, so it follows that change
within the hub's timer round; none is due twice, because the sent cues are state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .command_base import Command
from .errors import NotFound
from .model import Actor, Event, NewEvent
from .talk_commands import AnswerCue

if TYPE_CHECKING:
    from .state import ConferenceState

CUE_PHASES = frozenset({"rehearsal", "live"})
#: Only the items this close to the current one are cued by the clock: when the
#: run-script is behind, the sites far down it are not all told at once.
SOON_AHEAD = 2


@dataclass(slots=True)
class Cue:
    """One cue sent to a site, and the site's answer (None until it answers)."""

    cue_id: str
    site: str
    reason: str
    sent_at: int
    item_id: str | None = None
    request_id: str | None = None
    starts_at: int | None = None
    link: str = "unknown"
    ready: bool | None = None
    answered_at: int | None = None

    def to_view(self) -> dict[str, Any]:
        """The snapshot's map of this cue."""
        return {
            "cue_id": self.cue_id,
            "site": self.site,
            "reason": self.reason,
            "sent_at": self.sent_at,
            "item_id": self.item_id,
            "request_id": self.request_id,
            "starts_at": self.starts_at,
            "link": self.link,
            "ready": self.ready,
            "answered_at": self.answered_at,
        }


def _is_bridge_site(state: ConferenceState, code: str | None) -> bool:
    site = state.sites.get(code or "")
    return site is not None and site.kind != "central"


def _wanted(state: ConferenceState) -> list[tuple[int, dict[str, Any]]]:
    """Every cue not yet sent, with the time it falls due."""
    if state.conference.phase not in CUE_PHASES:
        return []
    sent = {(c.reason, c.item_id or c.request_id) for c in state.cues.values()}
    agenda = state.agenda
    out: list[tuple[int, dict[str, Any]]] = []
    lead_ms = state.settings.cue_lead_min * 60_000
    items = agenda.items
    current = next((i for i, item in enumerate(items) if item.item_id == agenda.current), None)
    ahead = 0  # items still to come, counted from the current one
    for index, item in enumerate(items):
        if current is not None and index <= current:
            continue
        if item.item_id in agenda.actual_start:
            continue
        ahead += 1
        if ahead > SOON_AHEAD:
            break
        if not _is_bridge_site(state, item.site):
            continue
        base = {"site": item.site, "item_id": item.item_id, "starts_at": item.planned_start}
        is_next = current is not None and index == current + 1
        if is_next and ("next", item.item_id) not in sent:
            out.append((0, {**base, "reason": "next"}))
        elif lead_ms > 0 and not {("soon", item.item_id), ("next", item.item_id)} & sent:
            out.append((item.planned_start - lead_ms, {**base, "reason": "soon"}))
    queue = state.speaking.queue
    if queue:
        head = state.speaking.requests.get(queue[0])
        if head is not None and _is_bridge_site(state, head.site):
            if ("speaker", head.request_id) not in sent:
                cue: dict[str, Any] = {
                    "site": head.site,
                    "request_id": head.request_id,
                    "reason": "speaker",
                }
                out.append((0, cue))
    return out


def deadlines(state: ConferenceState) -> list[int]:
    """Times at which a cue falls due."""
    return [at for at, _ in _wanted(state)]


def due(state: ConferenceState, now: int) -> list[NewEvent]:
    """The ``cue.sent`` events due at ``now``, numbered in order."""
    number = state.counters.get("cue", 0)
    out = []
    for at, data in _wanted(state):
        if at > now:
            continue
        number += 1
        link = state.sites[data["site"]].link.get("state", "unknown")
        out.append(NewEvent("cue.sent", {"cue_id": f"Q{number:04d}", **data, "link": link}))
    return out


def _decide_answer(
    state: ConferenceState, cmd: AnswerCue, actor: Actor, now: int
) -> list[NewEvent]:
    cue = state.cues.get(cmd.cue_id)
    if cue is None or cue.site != cmd.site:
        raise NotFound(
            f"There is no cue {cmd.cue_id!r}.",
            field="args.cue_id",
            text="no_cue",
            cue_id=cmd.cue_id,
        )
    if cue.ready is cmd.ready:
        return []
    return [NewEvent("cue.answered", {"cue_id": cue.cue_id, "site": cue.site, "ready": cmd.ready})]


def _apply_sent(state: ConferenceState, event: Event) -> None:
    d = event.data
    cue_id = str(d["cue_id"])
    state.cues[cue_id] = Cue(
        cue_id,
        str(d.get("site", "")),
        str(d.get("reason", "")),
        event.at,
        d.get("item_id"),
        d.get("request_id"),
        d.get("starts_at"),
        str(d.get("link", "unknown")),
    )
    digits = cue_id[1:]
    number = int(digits) if digits.isdigit() else 0
    state.counters["cue"] = max(state.counters.get("cue", 0), number)


def _apply_answered(state: ConferenceState, event: Event) -> None:
    cue = state.cues.get(str(event.data.get("cue_id", "")))
    if cue is not None:
        cue.ready = bool(event.data.get("ready"))
        cue.answered_at = event.at


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {AnswerCue: _decide_answer}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "cue.sent": _apply_sent,
    "cue.answered": _apply_answered,
}
