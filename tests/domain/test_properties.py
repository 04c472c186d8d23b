"""Invariants under any sequence of commands by any actors (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.domain import (
    COMMANDS,
    SYSTEM,
    Actor,
    Command,
    ConferenceState,
    DomainError,
    Event,
    LinkChange,
    SetPhase,
    Tick,
    apply,
    clone_state,
    decide,
    next_deadline,
    parse_command,
    state_from_dict,
    state_to_dict,
    view,
)
from controlroom.domain.faults import escalation_index
from controlroom.domain.speaking_state import open_index
from controlroom.store.base import decode_state, encode_state

from .conftest import ADMIN, ASSISTANT, CHAIR, OPERATOR, SITE_HCM, SITE_HN, T0, make_state

ACTORS = [ADMIN, OPERATOR, ASSISTANT, CHAIR, SITE_HN, SITE_HCM, Actor("dn", "site", "DN")]
SITES = st.sampled_from(["TW", "HN", "HCM", "DN", "XX"])
SPEAKERS = st.sampled_from(["An", "an", "  AN ", "Bình", "Chi"])
REQUESTS = st.sampled_from([f"R{i:04d}" for i in range(1, 6)])
FAULTS = st.sampled_from([f"F{i:04d}" for i in range(1, 4)])
POSITIONS = st.integers(1, 5)
TEXT = st.sampled_from(["x", "ghi chú"])
SPEAK = {
    "speaker": SPEAKERS,
    "title": TEXT,
    "topic": TEXT,
    "kind": st.sampled_from(["speech", "comment", "question"]),
}


def _d(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Any:
    return st.fixed_dictionaries(required, optional=optional or {})


ARGS: dict[str, Any] = {
    "site.checkin": _d(
        {"technician": TEXT, "phone": TEXT}, {"site": SITES, "delegates": st.integers(0, 50)}
    ),
    "site.status": _d({"audio": st.just("ok"), "video": st.just("fail")}, {"site": SITES}),
    "fault.report": _d(
        {
            "category": st.just("audio"),
            "severity": st.sampled_from(["critical", "major"]),
            "description": TEXT,
        },
        {"site": SITES},
    ),
    "fault.ack": _d({"fault_id": FAULTS}, {"note": TEXT}),
    "fault.assign": _d({"fault_id": FAULTS, "assignee": TEXT}),
    "fault.note": _d({"fault_id": FAULTS, "text": TEXT}),
    "fault.resolve": _d({"fault_id": FAULTS, "resolution": TEXT}),
    "fault.confirm": _d({"fault_id": FAULTS}),
    "fault.reopen": _d({"fault_id": FAULTS, "note": TEXT}),
    "speak.request": _d(SPEAK, {"site": SITES}),
    "speak.add": _d({**SPEAK, "site": SITES}),
    "speak.withdraw": _d({"request_id": REQUESTS}),
    "speak.approve": _d({"request_id": REQUESTS}, {"position": POSITIONS}),
    "speak.reject": _d({"request_id": REQUESTS, "reason": TEXT}),
    "speak.move": _d({"request_id": REQUESTS, "position": POSITIONS}),
    "speak.grant": _d({"request_id": REQUESTS}, {"limit_s": st.integers(10, 200)}),
    "speak.extend": _d({"request_id": REQUESTS, "add_s": st.integers(1, 100)}),
    "speak.end": _d({"request_id": REQUESTS}),
    "agenda.start": _d({"item_id": st.sampled_from(["A1", "A2", "A3", "A9"])}),
    "agenda.advance": _d({}),
    "agenda.finish": _d({}),
    "testcall.start": _d({"site": SITES}),
}


def _wire_step(name: str) -> Any:
    allowed = [a for a in ACTORS if a.role in COMMANDS[name].roles and a != ADMIN]
    actors = st.one_of(st.sampled_from(allowed), st.sampled_from(ACTORS))
    return st.tuples(st.just(name), ARGS[name], actors)


SYSTEM_STEPS = st.one_of(
    st.just(("tick", {}, SYSTEM)),
    st.builds(
        lambda s, to: ("link", {"site": s, "to": to}, SYSTEM),
        SITES,
        st.sampled_from(["online", "offline", "degraded"]),
    ),
    st.builds(
        lambda p, a: ("phase", {"phase": p}, a),
        st.sampled_from(["rehearsal", "live", "ended", "planned"]),
        st.just(OPERATOR),
    ),
)


def steps_over(names: list[str]) -> Any:
    """Lists of (step, milliseconds later) over these wire commands plus the hub's own."""
    wire = st.sampled_from(sorted(names)).flatmap(_wire_step)
    step = st.integers(0, 9).flatmap(lambda k: SYSTEM_STEPS if k == 0 else wire)
    return st.lists(st.tuples(step, st.integers(0, 90_000)), min_size=15, max_size=40)


ALL = sorted(ARGS)
SPEAKING = [n for n in ARGS if n.startswith("speak.")]
FAULT_CMDS = [n for n in ARGS if n.startswith("fault.")]
Steps = list[tuple[tuple[str, dict[str, Any], Actor], int]]


def _command(name: str, args: dict[str, Any], actor: Actor) -> Command:
    if name == "tick":
        return Tick()
    if name == "link":
        return LinkChange(**args)
    if name == "phase":
        return SetPhase(**args)
    return parse_command(name, args, actor)


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def check_invariants(state: ConferenceState) -> None:
    """The queue and floor invariants of DESIGN.md."""
    sp = state.speaking
    assert len(sp.queue) == len(set(sp.queue))
    assert all(sp.requests[r].state == "approved" for r in sp.queue)
    assert {r for r, q in sp.requests.items() if q.state == "approved"} == set(sp.queue)
    assert len(sp.on_floor) <= state.settings.max_on_floor
    assert {r for r, q in sp.requests.items() if q.state == "on_floor"} == set(sp.on_floor)
    open_keys = [
        (q.site, _norm(q.speaker))
        for q in sp.requests.values()
        if q.state in ("requested", "approved", "on_floor")
    ]
    assert len(open_keys) == len(set(open_keys))
    # The index the duplicate check reads is exactly the open requests.
    assert sp.open_by_speaker == open_index(sp.requests)
    # The index the timers read is exactly the faults whose escalation timer runs.
    assert state.awaiting_escalation == escalation_index(state.faults)


def run_and_check(steps: Steps, max_on_floor: int) -> None:
    """Run the steps, checking every invariant; then replay, round-trip and view."""
    state = make_state(max_on_floor=max_on_floor, escalate_after_s=30, speaking_default_s=60)
    log: list[Event] = []
    now = T0
    half = len(steps) // 2
    clone, cloned_at, cloned_as = None, 0, {}
    for i, ((name, args, actor), dt) in enumerate(steps):
        if i == half:
            clone, cloned_at, cloned_as = clone_state(state), len(log), state_to_dict(state)
        now += dt
        before = state_to_dict(state)
        try:
            new = decide(state, _command(name, args, actor), actor, now)
        except DomainError as err:
            assert err.code != "internal" and err.message
            new = []
        assert state_to_dict(state) == before, "decide mutated the state"
        deadline = next_deadline(state)
        if name == "tick":
            assert bool(new) == (deadline is not None and deadline <= now)
        for ev in new:
            event = Event(len(log) + 1, now, ev.name, actor, ev.data)
            json.dumps(event.to_wire())
            log.append(event)
            apply(state, event)
        check_invariants(state)

    replayed = make_state(max_on_floor=max_on_floor, escalate_after_s=30, speaking_default_s=60)
    for event in log:
        apply(replayed, event)
    assert replayed == state
    if clone is not None:
        # The clone shares nothing apply changes, either way round.
        assert state_to_dict(clone) == cloned_as
        final = state_to_dict(state)
        for event in log[cloned_at:]:
            apply(clone, event)
        assert clone == state and state_to_dict(state) == final
    assert clone_state(state) == state
    assert state_from_dict(state_to_dict(state)) == state
    assert state_from_dict(json.loads(json.dumps(state_to_dict(state)))) == state
    older = state_to_dict(state)  # a snapshot of a version before the index
    del older["speaking"]["open_by_speaker"]
    assert state_from_dict(older) == state
    # What the hub writes: its live state encoded without a copy, read back whole.
    written = encode_state(state_to_dict(state, copy=False))
    assert decode_state(written) == state_to_dict(state)
    assert state_from_dict(decode_state(written)) == state
    for viewer in ACTORS:
        json.dumps(view(state, viewer))


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(steps=steps_over(ALL), max_on_floor=st.sampled_from([1, 2]))
def test_any_commands_keep_invariants_and_replay(steps: Steps, max_on_floor: int) -> None:
    """Any commands by any actors keep the invariants, never mutate in decide, and replay."""
    run_and_check(steps, max_on_floor)


@FAST
@given(steps=steps_over(SPEAKING), max_on_floor=st.sampled_from([1, 2]))
def test_speaking_commands_keep_invariants_and_replay(steps: Steps, max_on_floor: int) -> None:
    """Dense speaking-queue runs (with timers) keep the queue and floor invariants."""
    run_and_check(steps, max_on_floor)


@FAST
@given(steps=steps_over(FAULT_CMDS))
def test_fault_commands_keep_invariants_and_replay(steps: Steps) -> None:
    """Dense fault runs (with escalation) replay and round-trip exactly."""
    run_and_check(steps, 1)
