"""Sites: check-in, status, link state, test calls."""

from __future__ import annotations

import pytest

from controlroom.domain import (
    SYSTEM,
    Actor,
    Event,
    LinkChange,
    NotFound,
    SetPhase,
    apply,
    view,
)

from .conftest import ADMIN, OPERATOR, SITE_HN, T0, World, report


def test_checkin_records_roll_call(world: World) -> None:
    """site.checkin marks the site present with technician, phone and delegates."""
    (event,) = world.do(
        "site.checkin", {"technician": "Lê B", "phone": "09", "delegates": 12}, SITE_HN
    )
    assert event.name == "site.checked_in"
    assert event.data == {"site": "HN", "technician": "Lê B", "phone": "09", "delegates": 12}
    site = world.state.sites["HN"]
    assert (site.checked_in, site.checked_in_at, site.delegates) == (True, T0, 12)


def test_checkin_again_updates_but_keeps_first_time(world: World) -> None:
    """A second check-in updates the contact, keeps delegates when absent and the first time."""
    world.do("site.checkin", {"technician": "A", "phone": "1", "delegates": 5}, SITE_HN)
    world.do("site.checkin", {"technician": "B", "phone": "2"}, SITE_HN, T0 + 1000)
    site = world.state.sites["HN"]
    assert (site.technician, site.phone, site.delegates, site.checked_in_at) == ("B", "2", 5, T0)


def test_status_is_stored(world: World) -> None:
    """site.status stores audio, video, note and when."""
    world.do("site.status", {"audio": "ok", "video": "fail", "note": "camera"}, SITE_HN, T0 + 7)
    assert world.state.sites["HN"].status == {
        "audio": "ok",
        "video": "fail",
        "note": "camera",
        "at": T0 + 7,
    }


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("site.checkin", {"site": "XX", "technician": "A", "phone": "1"}),
        ("site.status", {"site": "XX", "audio": "ok", "video": "ok"}),
        (
            "fault.report",
            {"site": "XX", "category": "audio", "severity": "minor", "description": "x"},
        ),
        ("speak.add", {"site": "XX", "speaker": "A", "title": "T", "topic": "x", "kind": "speech"}),
        ("testcall.start", {"site": "XX"}),
    ],
)
def test_unknown_site_is_not_found(world: World, name: str, args: dict[str, object]) -> None:
    """Naming a site that does not exist is not_found on args.site."""
    with pytest.raises(NotFound) as err:
        world.do(name, args, ADMIN)
    assert err.value.code == "not_found" and err.value.field == "args.site"


def test_campaign_names_the_unknown_site(world: World) -> None:
    """A campaign over an unknown site is not_found naming its index."""
    with pytest.raises(NotFound) as err:
        world.do("testcall.campaign", {"sites": ["HN", "XX"]}, OPERATOR)
    assert err.value.field == "args.sites.1"


def test_link_changed_is_stored(world: World) -> None:
    """link.changed stores state, measurements and since; flapping is link.flapping's."""
    assert world.state.sites["HN"].link["state"] == "unknown"
    data = {
        "site": "HN",
        "from": "unknown",
        "to": "degraded",
        "reason": "loss",
        "rtt_ms": 120.0,
        "loss_pct": 5.0,
        "jitter_ms": 9.0,
        "flapping": True,
    }
    apply(world.state, Event(1, T0 + 3, "link.changed", SYSTEM, data))
    assert world.state.sites["HN"].link == {
        "state": "degraded",
        "rtt_ms": 120.0,
        "jitter_ms": 9.0,
        "loss_pct": 5.0,
        "since": T0 + 3,
        "flapping": False,
        "source": "console",  # an event of version 1 (no source) was the console's
    }
    apply(world.state, Event(2, T0 + 4, "link.flapping", SYSTEM, {"site": "HN", "flapping": True}))
    data = {**data, "from": "degraded", "to": "online", "flapping": True}
    apply(world.state, Event(3, T0 + 5, "link.changed", SYSTEM, data))
    assert world.state.sites["HN"].link["flapping"] is True


def test_offline_while_live_opens_a_network_fault(world: World) -> None:
    """Going offline while live emits link.changed and a critical network fault, once."""
    world.run(SetPhase(phase="live"), OPERATOR)
    events = world.run(LinkChange(site="HN", to="offline", reason="no pong"), SYSTEM)
    assert world.names(events) == ["link.changed", "fault.reported"]
    assert events[1].data["category"] == "network" and events[1].data["severity"] == "critical"
    again = world.run(LinkChange(site="HN", to="offline"), SYSTEM)
    assert world.names(again) == []  # offline already: nothing new, no second fault


def test_offline_opens_none_before_live_or_beside_an_open_network_fault(world: World) -> None:
    """No automatic fault before live; an open audio fault does not stop one, a network one does."""
    assert world.names(world.run(LinkChange(site="HCM", to="offline"), SYSTEM)) == ["link.changed"]
    world.run(SetPhase(phase="live"), OPERATOR)
    report(world)  # an audio fault: the link loss is still news
    names = world.names(world.run(LinkChange(site="HN", to="offline"), SYSTEM))
    assert names == ["link.changed", "fault.reported"]
    world.do("fault.report", {"category": "network", "severity": "major",
                              "description": "Mạng chập chờn"}, SITE_HN)  # fmt: skip
    world.run(LinkChange(site="HN", to="online", reason="RTT 40 ms"), SYSTEM)
    world.run(LinkChange(site="HN", to="degraded", reason="loss"), SYSTEM)
    assert world.names(world.run(LinkChange(site="HN", to="offline"), SYSTEM)) == ["link.changed"]


def test_back_online_resolves_the_fault_the_hub_opened(world: World) -> None:
    """Recovery resolves the hub's own network fault, nobody having taken it, with the outage."""
    world.run(SetPhase(phase="live"), OPERATOR)
    events = world.run(LinkChange(site="HN", to="offline"), SYSTEM, now=T0 + 10_000)
    fault_id = events[1].data["fault_id"]
    back = world.run(
        LinkChange(site="HN", to="online", reason="RTT 40 ms"), SYSTEM, now=T0 + 135_000
    )
    assert world.names(back) == ["link.changed", "fault.resolved"]
    data = back[1].data
    assert data["fault_id"] == fault_id and data["auto"] is True and data["outage_s"] == 125
    assert "2 phút 5 giây" in data["resolution"]
    assert world.state.faults[fault_id].state == "resolved"
    again = world.run(LinkChange(site="HN", to="offline"), SYSTEM)
    assert world.names(again) == ["link.changed", "fault.reported"], "a new outage, a new fault"


def test_a_fault_a_person_holds_gets_a_note_and_stays_theirs(world: World) -> None:
    """Acknowledged, assigned or reported by a person: a note on recovery, still open."""
    world.run(SetPhase(phase="live"), OPERATOR)
    fault_id = world.run(LinkChange(site="HN", to="offline"), SYSTEM)[1].data["fault_id"]
    world.do("fault.ack", {"fault_id": fault_id}, OPERATOR)
    back = world.run(LinkChange(site="HN", to="online", reason="RTT 40 ms"), SYSTEM)
    assert world.names(back) == ["link.changed", "fault.noted"]
    assert back[1].data["fault_id"] == fault_id and back[1].data["text_code"]["code"] == "link_back"
    assert world.state.faults[fault_id].state == "acknowledged"
    world.do("fault.resolve", {"fault_id": fault_id, "resolution": "Đã đổi cáp"}, OPERATOR)
    own = world.do("fault.report", {"category": "network", "severity": "critical",
                                    "description": "Mất mạng"}, SITE_HN)  # fmt: skip
    world.run(LinkChange(site="HN", to="offline"), SYSTEM)
    back = world.run(LinkChange(site="HN", to="online"), SYSTEM)
    assert world.names(back) == ["link.changed", "fault.noted"]
    assert world.state.faults[own[0].data["fault_id"]].state == "open"


def test_no_automatic_fault_while_flapping(world: World) -> None:
    """A drop reported while the site is flapping raises no new alarm."""
    world.run(SetPhase(phase="live"), OPERATOR)
    events = world.run(LinkChange(site="HN", to="offline", flapping=True), SYSTEM)
    assert world.names(events) == ["link.changed"]


def test_testcall_events_keep_the_latest_per_site(world: World) -> None:
    """testcall.started marks a call running; testcall.result stores the verdict."""
    apply(world.state, Event(1, T0, "testcall.started", SYSTEM, {"call": "c1", "site": "HN"}))
    assert world.state.testcalls["HN"]["state"] == "running"
    result = {
        "call": "c1",
        "site": "HN",
        "verdict": "warn",
        "metrics": {"rtt_ms": 80},
        "reasons": ["loss 4 % > 3 %"],
    }
    apply(world.state, Event(2, T0 + 9, "testcall.result", SYSTEM, result))
    latest = world.state.testcalls["HN"]
    assert (latest["state"], latest["verdict"], latest["started_at"], latest["finished_at"]) == (
        "done",
        "warn",
        T0,
        T0 + 9,
    )
    assert latest["metrics"] == {"rtt_ms": 80} and latest["metrics"] is not result["metrics"]


def test_unknown_and_progress_events_change_nothing(world: World) -> None:
    """campaign.progress, unknown event names and unknown sites leave the state alone."""
    before = view(world.state, ADMIN)
    for name, data in [
        ("campaign.progress", {"done": 1, "total": 3}),
        ("x.y", {}),
        ("site.status", {"site": "XX", "audio": "ok"}),
        ("link.changed", {"site": "XX", "to": "online"}),
    ]:
        apply(world.state, Event(1, T0, name, Actor("s", "system"), data))
    assert view(world.state, ADMIN) == before
