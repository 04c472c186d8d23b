"""The conference-path sources of a site: probe results and bridge samples, judged alone."""

from __future__ import annotations

import dataclasses

from controlroom.domain.links import LinkHealth
from controlroom.domain.model import Thresholds
from controlroom.service.link_sources import SourceLink, bridge_sample, probe_result

T = Thresholds()


def _endpoint(state: str = "unknown") -> SourceLink:
    return SourceLink("endpoint", LinkHealth(state=state), 0, target="icmp:10.0.0.5")


def test_probes_lost_before_the_first_answer_are_not_loss():
    """After a start the endpoint (or the demo's) may answer late: no false degraded."""
    src = _endpoint("online")  # what the log said before the restart
    for at in range(10):
        assert probe_result(src, None, at, T, 64) == []
    for at in range(10, 20):
        assert probe_result(src, 20.0, at, T, 64) == []
    assert src.loss_pct == 0.0 and src.health.state == "online"


def test_loss_over_the_limit_degrades_after_the_bad_samples():
    src = _endpoint()
    transitions = []
    for at in range(100):
        transitions += probe_result(src, None if at % 10 == 5 else 20.0, at, T, 64)
    assert [t.to for t in transitions] == ["online", "degraded"]
    assert transitions[1].cause["problems"][0]["code"] == "loss_high"


def test_the_bridge_judges_the_worse_direction_and_leaving_is_offline():
    src = SourceLink("bridge", LinkHealth(), 0)
    good = {"rtt_ms": 30, "loss_pct": 0.1, "jitter_ms": 5}
    sample = {"site": "HUE", "in_call": True, "rx": good, "tx": {**good, "jitter_ms": 45}}
    transitions = []
    for at in range(4):
        transitions += bridge_sample(src, sample, at, T, 64)
    assert [t.to for t in transitions] == ["degraded"]
    assert transitions[0].cause["problems"][0] == {
        "code": "jitter_high", "jitter_ms": 45, "limit_ms": T.jitter_ms
    }  # fmt: skip
    (left,) = bridge_sample(src, {"site": "HUE", "in_call": False}, 5, T, 64)
    assert left.to == "offline" and left.cause == {"code": "left_call"}
    assert src.entry()["in_call"] is False and src.entry()["rtt_ms"] is None


def test_a_bridge_is_silent_by_its_own_pace_not_the_hubs_heartbeat():
    """A bridge posting every 5 s with a 0.5 s heartbeat: no false alarm between posts."""
    from controlroom.domain.links import silence

    src = SourceLink("bridge", LinkHealth(), 0)
    good = {"site": "HUE", "in_call": True, "rx": {"rtt_ms": 30, "loss_pct": 0.0}}
    for at in (1_000, 6_000, 11_000, 16_000):
        bridge_sample(src, good, at, T, 64)
    assert src.health.state == "online" and 4_000 < src.interval_ms <= 5_000
    beat = src.silent_after_s(0.5)
    path = dataclasses.replace(T, offline_after_missed=2)  # as the monitor judges the path
    assert silence(src.health, src.last_heard, 16_000 + 9_000, path, beat) == []
    (gone,) = silence(src.health, src.last_heard, 16_000 + 16_000, path, beat)
    assert gone.to == "offline" and gone.cause["code"] == "no_answer"
    assert _endpoint().silent_after_s(0.5) == 0.5  # the hub's own probes: its heartbeat
