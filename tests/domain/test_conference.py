"""Conference phases: the transition table, finality of ``ended``."""

from __future__ import annotations

import pytest

from controlroom.domain import Conflict, SetPhase
from controlroom.domain.model import PHASES

from .conftest import ASSISTANT, OPERATOR, SITE_HN, T0, World, make_state

ALLOWED = {
    ("planned", "rehearsal"),
    ("planned", "live"),
    ("rehearsal", "live"),
    ("rehearsal", "planned"),
    ("live", "ended"),
}
PATH = {"planned": [], "rehearsal": ["rehearsal"], "live": ["live"], "ended": ["live", "ended"]}


def at_phase(phase: str) -> World:
    """A world driven to ``phase`` by allowed steps."""
    world = World(make_state())
    for step in PATH[phase]:
        world.run(SetPhase(phase=step), OPERATOR)
    assert world.state.conference.phase == phase
    return world


@pytest.mark.parametrize("start", PHASES)
@pytest.mark.parametrize("target", PHASES)
def test_phase_table(start: str, target: str) -> None:
    """Every (from, to) pair is either the one allowed event or a conflict."""
    world = at_phase(start)
    if (start, target) in ALLOWED:
        (event,) = world.run(SetPhase(phase=target), OPERATOR, T0 + 5)
        assert event.name == "conference.phase"
        assert event.data == {"phase": target, "from": start}
        assert world.state.conference.phase == target
        assert world.state.conference.phase_at == T0 + 5
    else:
        with pytest.raises(Conflict) as err:
            world.run(SetPhase(phase=target), OPERATOR)
        assert err.value.code == "conflict"
        assert start in err.value.message


def test_ended_refuses_new_faults_and_requests() -> None:
    """After ``ended`` new fault reports, speaking requests and added speakers conflict."""
    world = at_phase("ended")
    fault = {"category": "audio", "severity": "minor", "description": "x"}
    speak = {"speaker": "An", "title": "T", "topic": "x", "kind": "speech"}
    for name, args, actor in [
        ("fault.report", fault, SITE_HN),
        ("speak.request", speak, SITE_HN),
        ("speak.add", {**speak, "site": "HN"}, ASSISTANT),
    ]:
        with pytest.raises(Conflict, match="ended"):
            world.do(name, args, actor)


def test_snapshot_conference_map() -> None:
    """The snapshot's conference map carries id, title, phase, starts_at and test_at."""
    from controlroom.domain import view

    conf = view(make_state(), OPERATOR)["conference"]
    assert {"id", "title", "phase", "starts_at", "test_at"} <= set(conf)
    assert conf["phase"] == "planned"
