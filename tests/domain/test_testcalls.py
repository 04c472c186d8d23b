"""Test calls and campaigns: ids, one call per site, retries, progress, cancel, interrupt."""

from __future__ import annotations

import pytest

from controlroom.domain import (
    SYSTEM,
    AutoCampaign,
    CallSite,
    Conflict,
    FinishTestCall,
    Forbidden,
    InterruptTestCalls,
    NotFound,
    SetPhase,
    state_from_dict,
    state_to_dict,
    view,
)

from .conftest import OPERATOR, SITE_HN, World, make_state


def finish(world: World, call: str, verdict: str = "pass") -> list:
    """Record the runner's verdict on ``call``."""
    return world.run(FinishTestCall(call=call, verdict=verdict, metrics={"rtt_ms": 3}), SYSTEM)


def test_start_gives_sequential_ids_and_one_call_per_site(world: World) -> None:
    """testcall.start gives calls T0001, T0002; a second call to a busy site conflicts."""
    (first,) = world.do("testcall.start", {"site": "HN"}, OPERATOR)
    assert first.data == {"call": "T0001", "site": "HN", "campaign": None, "attempt": 1}
    with pytest.raises(Conflict):
        world.do("testcall.start", {"site": "HN"}, OPERATOR)
    (second,) = world.do("testcall.start", {"site": "DN"}, OPERATOR)
    assert second.data["call"] == "T0002"
    assert world.state.testcalls["HN"]["state"] == "running"


def test_result_is_stored_and_a_finished_call_cannot_finish_again(world: World) -> None:
    """FinishTestCall records testcall.result; the same call again is a conflict."""
    world.do("testcall.start", {"site": "HN"}, OPERATOR)
    (result,) = finish(world, "T0001", "warn")
    assert result.name == "testcall.result" and result.data["retry"] is False
    latest = world.state.testcalls["HN"]
    assert (latest["state"], latest["verdict"], latest["metrics"]) == (
        "done",
        "warn",
        {"rtt_ms": 3},
    )
    with pytest.raises(Conflict):
        finish(world, "T0001")


def test_system_commands_are_refused_from_people(world: World) -> None:
    """Only the hub itself may finish a call."""
    world.do("testcall.start", {"site": "HN"}, OPERATOR)
    with pytest.raises(Forbidden):
        world.run(FinishTestCall(call="T0001", verdict="pass"), OPERATOR)


def test_campaign_defaults_to_every_site_and_retries_a_failure_once(world: World) -> None:
    """A campaign calls every site-kind site; a first fail retries, the second fail is final."""
    (started,) = world.do("testcall.campaign", {}, OPERATOR)
    assert started.data == {
        "campaign": "K001",
        "sites": ["HN", "HCM", "DN"],
        "concurrency": 8,
        "trigger": "operator",
    }
    with pytest.raises(Conflict):
        world.do("testcall.campaign", {}, OPERATOR)
    world.run(CallSite(site="HN", campaign="K001"), SYSTEM)
    result, progress = finish(world, "T0001", "fail")
    assert result.data["retry"] is True and progress.data["final"] is False
    assert (progress.data["done"], progress.data["retries"]) == (0, 1)
    world.run(CallSite(site="HN", campaign="K001", attempt=2), SYSTEM)
    result, progress = finish(world, "T0002", "fail")
    assert result.data["retry"] is False and progress.data["done"] == 1
    for n, site in ((3, "HCM"), (4, "DN")):
        world.run(CallSite(site=site, campaign="K001"), SYSTEM)
        _, progress = finish(world, f"T{n:04d}", "pass")
    assert (progress.data["state"], progress.data["pass"], progress.data["fail"]) == ("done", 2, 1)
    assert world.state.campaign is not None and world.state.campaign["state"] == "done"


def test_campaign_call_outside_the_campaign_conflicts(world: World) -> None:
    """CallSite needs the running campaign and one of its sites."""
    world.do("testcall.campaign", {"sites": ["HN"]}, OPERATOR)
    with pytest.raises(Conflict):
        world.run(CallSite(site="DN", campaign="K001"), SYSTEM)
    with pytest.raises(Conflict):
        world.run(CallSite(site="HN", campaign="K009"), SYSTEM)


def test_cancel_ends_running_calls_and_the_campaign(world: World) -> None:
    """testcall.cancel {} fails every running call as cancelled and ends the campaign."""
    world.do("testcall.campaign", {"sites": ["HN", "DN"]}, OPERATOR)
    world.run(CallSite(site="HN", campaign="K001"), SYSTEM)
    events = world.do("testcall.cancel", {}, OPERATOR)
    assert world.names(events) == ["testcall.result", "campaign.progress"]
    assert events[0].data["reasons"][0]["code"] == "cancelled"
    assert events[1].data["state"] == "cancelled" and events[1].data["finals"] == {"HN": "fail"}
    with pytest.raises(Conflict):
        world.do("testcall.cancel", {}, OPERATOR)
    with pytest.raises(NotFound):
        world.do("testcall.cancel", {"call": "T0001"}, OPERATOR)


def test_interrupt_fails_what_ran_before_a_restart(world: World) -> None:
    """InterruptTestCalls fails running calls as interrupted; with nothing running, nothing."""
    world.do("testcall.start", {"site": "HN"}, OPERATOR)
    (event,) = world.run(InterruptTestCalls(), SYSTEM)
    assert event.data["verdict"] == "fail" and event.data["reasons"][0]["code"] == "interrupted"
    assert world.run(InterruptTestCalls(), SYSTEM) == []


def test_auto_campaign_runs_once_and_not_when_live(world: World) -> None:
    """The test_at campaign starts once; never again, and never once the conference is live."""
    (started,) = world.run(AutoCampaign(), SYSTEM)
    assert started.data["trigger"] == "test_at"
    world.do("testcall.cancel", {}, OPERATOR)
    with pytest.raises(Conflict):
        world.run(AutoCampaign(), SYSTEM)
    fresh = World(state_from_dict(state_to_dict(world.state)))
    assert fresh.state.counters["auto_campaign"] == 1
    other = World(make_state())
    other.run(SetPhase(phase="live"), OPERATOR)
    with pytest.raises(Conflict):
        other.run(AutoCampaign(), SYSTEM)


def test_site_sees_its_own_call_but_not_the_campaign(world: World) -> None:
    """A site's snapshot holds its own test call; the operator's also holds the campaign."""
    world.do("testcall.campaign", {"sites": ["HN"]}, OPERATOR)
    world.run(CallSite(site="HN", campaign="K001"), SYSTEM)
    site_view = view(world.state, SITE_HN)
    assert set(site_view["testcalls"]) == {"HN"} and "campaign" not in site_view
    assert view(world.state, OPERATOR)["campaign"]["campaign"] == "K001"
