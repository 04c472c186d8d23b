"""The speaking queue: sites ask to speak, the chair's assistant gives the floor.

States: ``requested -> approved -> on_floor -> ended``, or ``rejected``, ``withdrawn``
(:data:`SPEAK_TRANSITIONS`); anything else is a :class:`Conflict`.

- ``speak.request`` (a site) and ``speak.add`` (the assistant: requested and approved at
  the end of the queue at once) are refused once the conference has ended, and when the
  site already holds an open (requested, approved or on-floor) request for the same
  speaker: names compare case-insensitively with whitespace collapsed.
- ``queue`` holds the approved requests in order; ``speak.approve`` takes a 1-based
  ``position`` (1 = next), default the end, clamped into the queue; ``speak.move``
  likewise, for approved requests only.
- ``speak.grant`` works from ``approved`` or ``requested``, takes the request out of the
  queue and is refused while ``max_on_floor`` speakers hold the floor. The limit
  defaults to ``speaking_default_s``. ``speak.extend`` adds seconds and re-arms the
  timers; ``speak.end`` records ``duration_s`` (whole seconds since ``granted_at``).
- Timers: ``speak.warning`` once at ``ends_at - 60 s`` (at half the limit when the limit
  is under two minutes), ``speak.overrun`` once at ``ends_at``.
- A site acts only on its own requests; another site's request is :class:`NotFound`.

IDs are ``R0001``, ``R0002``... from the state's counter. Never reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .commands import (
    AddSpeaker,
    ApproveSpeak,
    Command,
    EndFloor,
    ExtendFloor,
    GrantFloor,
    MoveSpeak,
    RejectSpeak,
    RequestSpeak,
    WithdrawSpeak,
)
from .conference import require_not_ended
from .errors import Conflict, NotFound
from .model import Actor, Event, NewEvent
from .sites import require_site
from .speaking_state import (
    OPEN_STATES,
    SpeakRequest,
    open_key,
)

if TYPE_CHECKING:
    from .state import ConferenceState

#: command name -> (states it is allowed from, event it emits, state after)
SPEAK_TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "speak.approve": (frozenset({"requested"}), "speak.approved", "approved"),
    "speak.reject": (frozenset({"requested", "approved"}), "speak.rejected", "rejected"),
    "speak.move": (frozenset({"approved"}), "speak.moved", None),
    "speak.withdraw": (frozenset({"requested", "approved"}), "speak.withdrawn", "withdrawn"),
    "speak.grant": (frozenset({"requested", "approved"}), "speak.granted", "on_floor"),
    "speak.extend": (frozenset({"on_floor"}), "speak.extended", None),
    "speak.end": (frozenset({"on_floor"}), "speak.ended", "ended"),
}
_NEXT_STATE = {event: after for _, event, after in SPEAK_TRANSITIONS.values()}
_VERBS = {
    "speak.approve": "approved",
    "speak.reject": "rejected",
    "speak.move": "moved",
    "speak.withdraw": "withdrawn",
    "speak.grant": "given the floor",
    "speak.extend": "extended",
    "speak.end": "ended",
}


def _check_new(state: ConferenceState, site: str, speaker: str, agenda_item: str | None) -> None:
    require_not_ended(state, "speaking requests")
    require_site(state, site)
    if agenda_item is not None and all(i.item_id != agenda_item for i in state.agenda.items):
        raise NotFound(
            f"There is no agenda item {agenda_item!r}.",
            field="args.agenda_item",
            text="no_agenda_item",
            item_id=agenda_item,
        )
    sp = state.speaking
    rid = sp.open_by_speaker.get(open_key(site, speaker))
    if rid is not None:
        r = sp.requests[rid]
        raise Conflict(
            f"{r.speaker} of site {site} already has an open request ({r.request_id}).",
            field="args.speaker",
            text="speaker_open",
            speaker=r.speaker,
            site=site,
            request_id=r.request_id,
        )


def _requested(state: ConferenceState, site: str, cmd: RequestSpeak | AddSpeaker) -> NewEvent:
    request_id = f"R{state.counters.get('request', 0) + 1:04d}"
    agenda_item = cmd.agenda_item if isinstance(cmd, RequestSpeak) else None
    data = {
        "request_id": request_id,
        "site": site,
        "speaker": cmd.speaker,
        "title": cmd.title,
        "topic": cmd.topic,
        "kind": cmd.kind,
        "agenda_item": agenda_item,
    }
    return NewEvent("speak.requested", data)


def _decide_request(
    state: ConferenceState, cmd: RequestSpeak, actor: Actor, now: int
) -> list[NewEvent]:
    assert cmd.site is not None  # parse_command fills it in or refuses
    _check_new(state, cmd.site, cmd.speaker, cmd.agenda_item)
    return [_requested(state, cmd.site, cmd)]


def _decide_add(state: ConferenceState, cmd: AddSpeaker, actor: Actor, now: int) -> list[NewEvent]:
    _check_new(state, cmd.site, cmd.speaker, None)
    requested = _requested(state, cmd.site, cmd)
    position = len(state.speaking.queue) + 1
    approved = {
        "request_id": requested.data["request_id"],
        "site": cmd.site,
        "speaker": cmd.speaker,
        "position": position,
    }
    return [requested, NewEvent("speak.approved", approved)]


def _find(state: ConferenceState, request_id: str, actor: Actor) -> SpeakRequest:
    request = state.speaking.requests.get(request_id)
    if request is None or (actor.role == "site" and request.site != actor.site):
        raise NotFound(
            f"There is no speaking request {request_id!r}.",
            field="args.request_id",
            text="no_request",
            request_id=request_id,
        )
    return request


def _clamp(position: int | None, size: int) -> int:
    return size if position is None else max(1, min(position, size))


def _decide_transition(
    state: ConferenceState, cmd: Command, actor: Actor, now: int
) -> list[NewEvent]:
    request = _find(state, getattr(cmd, "request_id"), actor)  # noqa: B009
    allowed, event_name, _ = SPEAK_TRANSITIONS[cmd.name]
    if request.state not in allowed:
        raise Conflict(
            f"Request {request.request_id} ({request.speaker}) is {request.state}, so it cannot "
            f"be {_VERBS[cmd.name]} (only when {' or '.join(sorted(allowed))}).",
            text="request_state",
            request_id=request.request_id,
            speaker=request.speaker,
            sstate=request.state,
        )
    sp = state.speaking
    data: dict[str, Any] = {
        "request_id": request.request_id,
        "site": request.site,
        "speaker": request.speaker,
    }
    if isinstance(cmd, ApproveSpeak):
        data["position"] = _clamp(cmd.position, len(sp.queue) + 1)
    elif isinstance(cmd, RejectSpeak):
        data["reason"] = cmd.reason
    elif isinstance(cmd, MoveSpeak):
        data["from_position"] = sp.queue.index(request.request_id) + 1
        data["position"] = _clamp(cmd.position, len(sp.queue))
    elif isinstance(cmd, GrantFloor):
        if len(sp.on_floor) >= state.settings.max_on_floor:
            names = ", ".join(
                f"{sp.requests[i].speaker} ({sp.requests[i].site}, {i})" for i in sp.on_floor
            )
            raise Conflict(
                f"The floor is taken by {names}; end that turn first.",
                text="floor_taken",
                speakers=[sp.requests[i].speaker for i in sp.on_floor],
                sites=[sp.requests[i].site for i in sp.on_floor],
            )
        limit_s = cmd.limit_s or state.settings.speaking_default_s
        site = state.sites.get(request.site)
        data.update(
            site_name=site.name if site else request.site,
            title=request.title,
            limit_s=limit_s,
            granted_at=now,
            ends_at=now + limit_s * 1000,
        )
    elif isinstance(cmd, ExtendFloor):
        assert request.limit_s is not None and request.granted_at is not None
        limit_s = request.limit_s + cmd.add_s
        data.update(add_s=cmd.add_s, limit_s=limit_s, ends_at=request.granted_at + limit_s * 1000)
    elif isinstance(cmd, EndFloor):
        assert request.granted_at is not None
        data["duration_s"] = max(0, (now - request.granted_at) // 1000)
    return [NewEvent(event_name, data)]


def _apply_requested(state: ConferenceState, event: Event) -> None:
    d = event.data
    request_id = d["request_id"]
    speaker = d.get("speaker", "")
    state.speaking.open_by_speaker[open_key(d["site"], speaker)] = request_id
    state.speaking.requests[request_id] = SpeakRequest(
        request_id=request_id,
        site=d["site"],
        speaker=speaker,
        title=d.get("title", ""),
        topic=d.get("topic", ""),
        kind=d.get("kind", "speech"),
        agenda_item=d.get("agenda_item"),
        requested_at=event.at,
        requested_by=event.actor.account,
    )
    number = int(request_id[1:]) if request_id[1:].isdigit() else 0
    state.counters["request"] = max(state.counters.get("request", 0), number)


def _apply_change(state: ConferenceState, event: Event) -> None:
    sp, d, at = state.speaking, event.data, event.at
    request = sp.requests.get(d.get("request_id", ""))
    if request is None:
        return
    rid = request.request_id
    after = _NEXT_STATE.get(event.name)
    if after is not None:
        request.state = after
        if after not in OPEN_STATES:
            key = open_key(request.site, request.speaker)
            if sp.open_by_speaker.get(key) == rid:
                del sp.open_by_speaker[key]
    if rid in sp.queue and event.name != "speak.extended":
        sp.queue.remove(rid)
    name = event.name
    if name in ("speak.approved", "speak.moved"):
        request.approved_at = at if name == "speak.approved" else request.approved_at
        position = int(d.get("position", len(sp.queue) + 1))
        sp.queue.insert(max(0, min(position - 1, len(sp.queue))), rid)
    elif name == "speak.rejected":
        request.rejected_at, request.reason = at, d.get("reason")
    elif name == "speak.withdrawn":
        request.withdrawn_at = at
    elif name == "speak.granted":
        request.limit_s = int(d["limit_s"])
        request.granted_at, request.ends_at = at, at + request.limit_s * 1000
        request.warned = request.overrun = False
        if rid not in sp.on_floor:
            sp.on_floor.append(rid)
    elif name == "speak.extended" and request.granted_at is not None:
        request.limit_s = int(d["limit_s"])
        ends_at = request.granted_at + request.limit_s * 1000
        if request.ends_at is None or ends_at > request.ends_at:
            request.warned = request.overrun = False
        request.ends_at = ends_at
    elif name == "speak.warning":
        request.warned = True
    elif name == "speak.overrun":
        request.overrun = True
    elif name == "speak.ended":
        request.ended_at, request.duration_s = at, d.get("duration_s")
        if rid in sp.on_floor:
            sp.on_floor.remove(rid)


def _warn_at(request: SpeakRequest) -> int:
    assert request.granted_at is not None and request.limit_s is not None
    assert request.ends_at is not None
    if request.limit_s < 120:
        return request.granted_at + request.limit_s * 500
    return request.ends_at - 60_000


def _timers(state: ConferenceState) -> list[tuple[int, NewEvent]]:
    out = []
    for rid in state.speaking.on_floor:
        r = state.speaking.requests[rid]
        assert r.ends_at is not None
        base = {
            "request_id": rid,
            "site": r.site,
            "speaker": r.speaker,
            "limit_s": r.limit_s,
            "ends_at": r.ends_at,
        }
        if not r.warned:
            out.append((_warn_at(r), NewEvent("speak.warning", base)))
        if not r.overrun:
            out.append((r.ends_at, NewEvent("speak.overrun", dict(base))))
    return out


def deadlines(state: ConferenceState) -> list[int]:
    """Times at which a speaking timer falls due."""
    return [at for at, _ in _timers(state)]


def due(state: ConferenceState, now: int) -> list[NewEvent]:
    """The ``speak.warning`` / ``speak.overrun`` events due at ``now``."""
    out = []
    for at, event in _timers(state):
        if at <= now:
            if event.name == "speak.warning":
                event.data["remaining_s"] = max(0, (event.data["ends_at"] - now) // 1000)
            out.append(event)
    return out


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    RequestSpeak: _decide_request,
    AddSpeaker: _decide_add,
    **{
        c: _decide_transition
        for c in (
            ApproveSpeak,
            RejectSpeak,
            MoveSpeak,
            WithdrawSpeak,
            GrantFloor,
            ExtendFloor,
            EndFloor,
        )
    },
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "speak.requested": _apply_requested,
    **{
        n: _apply_change
        for n in (
            "speak.approved",
            "speak.rejected",
            "speak.moved",
            "speak.withdrawn",
            "speak.granted",
            "speak.extended",
            "speak.warning",
            "speak.overrun",
            "speak.ended",
        )
    },
}
