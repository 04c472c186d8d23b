"""Mass drops are one incident (issue "No false alarms"): 30 of 34 sites in a second."""

from __future__ import annotations

from controlroom.domain import SYSTEM, ConferenceInfo, LinkChange, SetPhase, Settings, SiteInfo
from controlroom.domain.state import initial_state

from .conftest import OPERATOR, T0, World

CODES = [f"S{i:02d}" for i in range(1, 35)]


def world_of_34() -> World:
    sites = [SiteInfo("TW", "Trung ương", "central", "Hà Nội")] + [
        SiteInfo(code, f"Tỉnh {code}", "site", "Bắc") for code in CODES
    ]
    state = initial_state(ConferenceInfo("c", "Hội nghị", T0), Settings(), sites, [])
    world = World(state)
    world.run(SetPhase(phase="live"), OPERATOR)
    for code in ["TW", *CODES]:
        world.run(LinkChange(site=code, to="online"), SYSTEM)
    return world


def test_thirty_of_thirty_four_lost_in_a_second_is_one_incident():
    """Four sites are 10 %: the fourth drop opens one incident, the three before merge in."""
    world = world_of_34()
    reported, resolved = [], []
    for i, code in enumerate(CODES[:30]):
        events = world.run(
            LinkChange(site=code, to="offline", reason="x"), SYSTEM, T0 + 1000 + i * 30
        )
        reported += [e for e in events if e.name == "fault.reported"]
        resolved += [e for e in events if e.name == "fault.resolved"]
    incidents = [e for e in reported if e.data.get("incident")]
    assert len(incidents) == 1
    incident = world.state.faults[incidents[0].data["fault_id"]]
    assert incident.site == "TW" and incident.severity == "critical"
    assert sorted(incident.incident or {}) == sorted(CODES[:30])
    assert len(reported) == 4, "three single faults before the incident, then none"
    assert {e.data["merged_into"] for e in resolved} == {incident.fault_id}
    open_faults = [f for f in world.state.faults.values() if f.state == "open"]
    assert open_faults == [incident], "the inbox holds one fault"


def test_the_incident_ticks_sites_off_and_resolves_itself_when_all_are_back():
    """Each return is ticked off; the last one closes the incident with the outage."""
    world = world_of_34()
    for i, code in enumerate(CODES[:6]):
        world.run(LinkChange(site=code, to="offline"), SYSTEM, T0 + 1000 + i)
    incident = next(f for f in world.state.faults.values() if f.incident)
    for code in CODES[:5]:
        events = world.run(LinkChange(site=code, to="online"), SYSTEM, T0 + 90_000)
        assert [e.name for e in events] == ["link.changed", "fault.incident_updated"]
    assert incident.state == "open" and list(incident.incident.values()).count("down") == 1
    last = world.run(LinkChange(site=CODES[5], to="online"), SYSTEM, T0 + 121_003)
    assert [e.name for e in last] == ["link.changed", "fault.incident_updated", "fault.resolved"]
    assert last[2].data["auto"] is True and last[2].data["outage_s"] == 120
    assert incident.state == "resolved"


def test_a_few_unrelated_drops_stay_single_faults():
    """Two sites a minute apart are two faults, no incident."""
    world = world_of_34()
    first = world.run(LinkChange(site="S01", to="offline"), SYSTEM, T0 + 1000)
    second = world.run(LinkChange(site="S02", to="offline"), SYSTEM, T0 + 61_000)
    third = world.run(LinkChange(site="S03", to="offline"), SYSTEM, T0 + 122_000)
    for events in (first, second, third):
        assert [e.name for e in events] == ["link.changed", "fault.reported"]
        assert not events[1].data.get("incident")


def test_a_late_site_joins_the_incident_within_the_window():
    """A drop shortly after the incident opened joins it instead of opening its own."""
    world = world_of_34()
    for i, code in enumerate(CODES[:4]):
        world.run(LinkChange(site=code, to="offline"), SYSTEM, T0 + 1000 + i)
    late = world.run(LinkChange(site="S20", to="offline"), SYSTEM, T0 + 8000)
    assert [e.name for e in late] == ["link.changed", "fault.incident_updated"]
    later = world.run(LinkChange(site="S21", to="offline"), SYSTEM, T0 + 60_000)
    assert [e.name for e in later] == ["link.changed", "fault.reported"]


def test_bulk_ack_and_resolve_take_every_fault_that_can_and_skip_the_rest():
    """One command, one event per fault; repeating it is harmless; an unknown id refuses."""
    import pytest

    from controlroom.domain import NotFound

    world = world_of_34()
    ids = []
    for i, code in enumerate(["S01", "S02"]):
        events = world.run(LinkChange(site=code, to="offline"), SYSTEM, T0 + i * 60_000)
        ids.append(events[1].data["fault_id"])
    acked = world.do("fault.ack_many", {"fault_ids": ids, "note": "Đang xử lý"}, OPERATOR)
    assert [e.name for e in acked] == ["fault.acknowledged"] * 2
    assert world.do("fault.ack_many", {"fault_ids": ids}, OPERATOR) == []
    with pytest.raises(NotFound) as missing:
        world.do(
            "fault.resolve_many", {"fault_ids": [ids[0], "F9999"], "resolution": "x"}, OPERATOR
        )
    assert missing.value.field == "args.fault_ids.1"
    done = world.do(
        "fault.resolve_many", {"fault_ids": ids, "resolution": "Đã khắc phục"}, OPERATOR
    )
    assert [e.data["fault_id"] for e in done] == ids
    assert all(world.state.faults[f].state == "resolved" for f in ids)
