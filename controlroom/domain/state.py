"""The conference aggregate: everything ``decide`` reads and ``apply`` writes.

:class:`ConferenceState` is a mutable dataclass (``apply`` changes it in place);
``decide`` only reads it. :func:`state_to_dict` / :func:`state_from_dict` turn it into
a JSON-able map and back, exactly (``state_from_dict(state_to_dict(s)) == s``), for
durable snapshots. ``counters`` holds the last fault and request numbers so that
ids are reproducible. No I/O here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .agenda import AgendaState
from .announcements import Announcement
from .conference import ConferenceRecord
from .cues import Cue
from .faults import Fault, escalation_index
from .followup import Conclusion
from .minutes import MinutesNote
from .model import AgendaItem, ConferenceInfo, Settings, SiteInfo, Thresholds
from .sites import SiteState
from .speaking_state import SpeakingState, SpeakRequest, open_index
from .threads import Thread

SNAPSHOT_VERSION = 1


@dataclass(slots=True)
class ConferenceState:
    """One conference as the hub knows it now."""

    conference: ConferenceRecord
    settings: Settings = field(default_factory=Settings)
    sites: dict[str, SiteState] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    speaking: SpeakingState = field(default_factory=SpeakingState)
    agenda: AgendaState = field(default_factory=AgendaState)
    testcalls: dict[str, dict[str, Any]] = field(default_factory=dict)
    campaign: dict[str, Any] | None = None
    counters: dict[str, int] = field(default_factory=lambda: {"fault": 0, "request": 0})
    announcements: dict[str, Announcement] = field(default_factory=dict)
    threads: dict[str, Thread] = field(default_factory=dict)
    cues: dict[str, Cue] = field(default_factory=dict)
    conclusions: dict[str, Conclusion] = field(default_factory=dict)
    minutes: dict[str, MinutesNote] = field(default_factory=dict)
    #: The ids of the faults whose escalation timer runs (``faults.awaits_escalation``):
    #: an index of ``faults`` kept by ``apply``, rebuilt rather than stored in snapshots.
    awaiting_escalation: dict[str, None] = field(default_factory=dict)


def initial_state(
    conference: ConferenceInfo,
    settings: Settings,
    sites: Iterable[SiteInfo],
    agenda: Iterable[AgendaItem],
) -> ConferenceState:
    """A planned conference with its sites (none checked in) and its run-script."""
    return ConferenceState(
        conference=ConferenceRecord.from_info(conference),
        settings=settings,
        sites={s.code: SiteState.from_info(s) for s in sites},
        agenda=AgendaState(items=sorted(agenda, key=lambda i: (i.order, i.item_id))),
    )


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars), faster than ``deepcopy``."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def clone_state(state: ConferenceState) -> ConferenceState:
    """An independent copy of ``state``: equal to it, sharing nothing ``apply`` changes.

    One pass over the state (the snapshot round trip takes two and builds every
    object from keyword arguments): the hub rebuilds its speculative state with it
    after a failed write or another instance's events, so it must be cheap.
    """
    return _clone(state)  # type: ignore[no-any-return]


_SHARED = (str, int, float, bool, type(None), tuple, frozenset)


def _clone(value: Any) -> Any:
    # Containers and mutable dataclasses are copied; scalars, tuples and frozen
    # dataclasses are immutable and shared. Most values are scalars: test them first.
    cls = type(value)
    if cls in _SHARED:
        return value
    if cls is dict:
        return {k: v if type(v) in _SHARED else _clone(v) for k, v in value.items()}
    if cls is list:
        return [v if type(v) in _SHARED else _clone(v) for v in value]
    params = getattr(value, "__dataclass_params__", None)
    if params is None:
        if isinstance(value, dict | list | set):  # a subclass: never share it
            raise TypeError(f"clone_state cannot copy a {cls.__name__}")
        return value
    if params.frozen:
        return value
    copy = object.__new__(cls)
    for name in cls.__dataclass_fields__:
        field_value = getattr(value, name)
        if type(field_value) not in _SHARED:
            field_value = _clone(field_value)
        object.__setattr__(copy, name, field_value)
    return copy


def _share(value: Any) -> Any:
    return value


def state_to_dict(state: ConferenceState, copy: bool = True) -> dict[str, Any]:
    """The whole state as a JSON-able map (for durable snapshots).

    With ``copy=False`` the map shares the state's own lists and dicts: a view to be
    encoded at once, before the state changes (the copy was most of the cost of a
    snapshot of a large state, and it held the event loop).
    """
    dup = _copy if copy else _share

    def _plain(obj: Any) -> dict[str, Any]:
        return {name: dup(getattr(obj, name)) for name in obj.__dataclass_fields__}

    sp, ag = state.speaking, state.agenda
    return {
        "version": SNAPSHOT_VERSION,
        "conference": _plain(state.conference),
        "settings": dataclasses.asdict(state.settings),
        "sites": {code: _plain(s) for code, s in state.sites.items()},
        "faults": {fid: _plain(f) for fid, f in state.faults.items()},
        "speaking": {
            "queue": list(sp.queue),
            "on_floor": list(sp.on_floor),
            "requests": {rid: _plain(r) for rid, r in sp.requests.items()},
            "open_by_speaker": dict(sp.open_by_speaker),
        },
        "agenda": {
            "items": [i.to_wire() for i in ag.items],
            "actual_start": dict(ag.actual_start),
            "actual_end": dict(ag.actual_end),
            "overrun": list(ag.overrun),
            "current": ag.current,
        },
        "testcalls": dup(state.testcalls),
        "campaign": dup(state.campaign),
        "counters": dict(state.counters),
        "announcements": {aid: _plain(a) for aid, a in state.announcements.items()},
        "threads": {code: _plain(t) for code, t in state.threads.items()},
        "cues": {cid: _plain(c) for cid, c in state.cues.items()},
        "conclusions": {cid: _plain(c) for cid, c in state.conclusions.items()},
        "minutes": {nid: _plain(n) for nid, n in state.minutes.items()},
    }


def state_from_dict(d: dict[str, Any]) -> ConferenceState:
    """The exact inverse of :func:`state_to_dict`."""
    d = _copy(d)
    settings = dict(d["settings"])
    settings["thresholds"] = Thresholds(**settings.get("thresholds", {}))
    sp, ag = d["speaking"], d["agenda"]
    return ConferenceState(
        conference=ConferenceRecord(**d["conference"]),
        settings=Settings(**settings),
        sites={code: SiteState(**s) for code, s in d["sites"].items()},
        faults=(faults := {fid: Fault(**f) for fid, f in d["faults"].items()}),
        speaking=SpeakingState(
            queue=sp["queue"],
            on_floor=sp["on_floor"],
            requests=(requests := {rid: SpeakRequest(**r) for rid, r in sp["requests"].items()}),
            # A snapshot written before the index has none: rebuilt from the requests.
            open_by_speaker=(
                sp["open_by_speaker"] if "open_by_speaker" in sp else open_index(requests)
            ),
        ),
        agenda=AgendaState(
            items=[AgendaItem(**i) for i in ag["items"]],
            actual_start=ag["actual_start"],
            actual_end=ag["actual_end"],
            overrun=ag["overrun"],
            current=ag["current"],
        ),
        testcalls=d["testcalls"],
        campaign=d.get("campaign"),
        counters=d["counters"],
        announcements={aid: Announcement(**a) for aid, a in (d.get("announcements") or {}).items()},
        threads={code: Thread(**t) for code, t in (d.get("threads") or {}).items()},
        cues={cid: Cue(**c) for cid, c in (d.get("cues") or {}).items()},
        conclusions={cid: Conclusion(**c) for cid, c in (d.get("conclusions") or {}).items()},
        minutes={nid: MinutesNote(**n) for nid, n in (d.get("minutes") or {}).items()},
        awaiting_escalation=escalation_index(faults),
    )
